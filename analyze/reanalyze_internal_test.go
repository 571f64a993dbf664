package analyze

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/pgqtune/pgqtune/runrec"
)

// TestReanalyzeDir re-analyzes $PGQTUNE_RUN_DIR when set (a debugging aid:
// go test ./analyze -run TestReanalyzeDir -v).
func TestReanalyzeDir(t *testing.T) {
	dir := os.Getenv("PGQTUNE_RUN_DIR")
	if dir == "" {
		t.Skip("PGQTUNE_RUN_DIR not set")
	}
	run, err := runrec.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Analyze(run, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(res.Findings, "", "  ")
	fmt.Printf("baseline %.1f p99 %.2f notes %q\n%s\n", res.Baseline, res.BaselineP99Ms, res.Notes, b)
	if os.Getenv("PGQTUNE_SLOTS") != "" {
		sc := newScene(run, DefaultOptions())
		sc.computeBaseline(nil)
		fmt.Printf("base %+v\n", sc.base)
		for i, s := range sc.tl.Slots {
			var f *frame
			for k := range sc.frames {
				if sc.frames[k].Slot == i+1 {
					f = &sc.frames[k]
				}
			}
			line := fmt.Sprintf("%3d %s m=%v c=%4.0f e=%4.0f d=%5.0f old=%5.2f p99=%7.1f", i, s.T.Format("15:04:05"), s.Measured, s.Completed, s.Enqueued, s.Depth, s.OldestS, s.P99Ms)
			if f != nil {
				line += fmt.Sprintf(" claim=%.3fms/%4.0f dead=%5.0f xmin=%4.1fs act=%2.0f fgn=%2.0f cpu=%3.0f relw=%2.0f roww=%2.0f seq=%4.0f ckpt=%.0f fpi=%4.0f", f.ClaimMeanMs, f.ClaimCalls, f.DeadTup, f.XminAgeS, f.Active, f.ActiveForeign, f.CPUBusyPct, f.RelLockWaits, f.RowLockWaits, f.SeqScan, f.CkptReq, f.WALFPI)
			}
			fmt.Println(line)
		}
	}
}

func TestReanalyzeCleanup(t *testing.T) {
	dir := os.Getenv("PGQTUNE_RUN_DIR")
	if dir == "" {
		t.Skip("PGQTUNE_RUN_DIR not set")
	}
	run, _ := runrec.Load(dir)
	sc := newScene(run, DefaultOptions())
	sc.computeBaseline(nil)
	fmt.Println(sc.q.Names, sc.q.ClaimText)
	fmt.Println(sc.autovacuumSettings())
	for _, w := range sc.cleanupWindows() {
		fmt.Printf("cleanup %+v\n", *w)
		for _, v := range sc.attribute(w) {
			fmt.Println(v.Cause, v.Score, v.Summary)
		}
	}
}

func TestReanalyzeScores(t *testing.T) {
	dir := os.Getenv("PGQTUNE_RUN_DIR")
	if dir == "" {
		t.Skip("PGQTUNE_RUN_DIR not set")
	}
	run, _ := runrec.Load(dir)
	sc, events, cleanups := detectAll(run, DefaultOptions())
	for _, w := range append(events, cleanups...) {
		fmt.Printf("window %d-%d %s\n", w.I0, w.I1, w.Kind)
		for _, v := range sc.attribute(core(w)) {
			fmt.Printf("  %s %.3f %s\n", v.Cause, v.Score, v.Summary)
			for _, e := range v.Evidence {
				fmt.Printf("      %s %v %s\n", e.Signal, e.Value, e.Detail)
			}
		}
	}
}

func TestReanalyzeBase(t *testing.T) {
	dir := os.Getenv("PGQTUNE_RUN_DIR")
	if dir == "" {
		t.Skip("PGQTUNE_RUN_DIR not set")
	}
	run, _ := runrec.Load(dir)
	sc := newScene(run, DefaultOptions())
	sc.computeBaseline(nil)
	ev := sc.detect()
	for _, w := range ev {
		fmt.Printf("pass1 window %d-%d %s\n", w.I0, w.I1, w.Kind)
	}
	sc.computeBaseline(eventMask(len(sc.tl.Slots), ev))
	for _, i := range sc.baseFrames {
		f := sc.frames[i]
		fmt.Printf("base frame %d slot %d seq %.0f claim %.3f\n", i, f.Slot, f.SeqScan, f.ClaimMeanMs)
	}
}

func TestReanalyzePasses(t *testing.T) {
	dir := os.Getenv("PGQTUNE_RUN_DIR")
	if dir == "" {
		t.Skip("PGQTUNE_RUN_DIR not set")
	}
	run, _ := runrec.Load(dir)
	sc := newScene(run, DefaultOptions())
	sc.computeBaseline(nil)
	fmt.Printf("pass1 base rate %.1f sigma %.1f p99 %.1f claim %.3f bytarget %+v\n", sc.base.Rate, sc.base.Sigma, sc.base.P99Ms, sc.base.ClaimMs, sc.base.ByTarget)
	ev := sc.detect()
	for _, w := range ev {
		fmt.Printf("pass1 window %d-%d drop=%v lat=%v back=%v slow=%v\n", w.I0, w.I1, w.Drop, w.Latency, w.Backlog, w.Slowdown)
	}
	sc.computeBaseline(eventMask(len(sc.tl.Slots), ev))
	fmt.Printf("pass2 base rate %.1f sigma %.1f p99 %.1f claim %.3f slots %d\n", sc.base.Rate, sc.base.Sigma, sc.base.P99Ms, sc.base.ClaimMs, sc.base.Slots)
	for _, w := range sc.detect() {
		fmt.Printf("pass2 window %d-%d drop=%v lat=%v back=%v slow=%v\n", w.I0, w.I1, w.Drop, w.Latency, w.Backlog, w.Slowdown)
	}
}
