package analyze_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/analyze"
	"github.com/pgqtune/pgqtune/runrec"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden is what a golden file pins.
type golden struct {
	Baseline      float64              `json:"baseline"`
	BaselineP99Ms float64              `json:"baseline_p99_ms"`
	Mean          float64              `json:"mean"`
	Findings      []runrec.Finding     `json:"findings"`
	Phases        []runrec.PhaseResult `json:"phases"`
	Notes         []string             `json:"notes"`
}

// checkGolden compares res with testdata/<name>.golden.json (or rewrites
// it with -update).
func checkGolden(t *testing.T, name string, res *analyze.Result) {
	t.Helper()
	got, err := json.MarshalIndent(golden{res.Baseline, res.BaselineP99Ms, res.Mean, res.Findings, res.Phases, res.Notes}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test ./analyze -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; rerun with -update if the change is intended.\ngot:\n%s", path, got)
	}
}

// at is synthT0 plus s seconds.
func at(s int) time.Time { return synthT0.Add(time.Duration(s) * time.Second) }

// overlaps reports whether finding f's window overlaps [from, to) seconds.
func overlaps(f runrec.Finding, from, to int) bool {
	return f.Start.Before(at(to)) && f.End.After(at(from))
}

// requireCause asserts a finding of cause overlapping [from,to) exists and
// returns it.
func requireCause(t *testing.T, res *analyze.Result, cause string, from, to int) runrec.Finding {
	t.Helper()
	for _, f := range res.Findings {
		if f.Cause == cause && overlaps(f, from, to) {
			return f
		}
	}
	b, _ := json.MarshalIndent(res.Findings, "", "  ")
	t.Fatalf("no %s finding overlapping %ds-%ds; findings:\n%s", cause, from, to, b)
	return runrec.Finding{}
}

func analyzeRun(t *testing.T, r *runrec.Run) *analyze.Result {
	t.Helper()
	res, err := analyze.Analyze(r, analyze.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestAnalyze(t *testing.T) {
	t.Run("steady run has no findings", func(t *testing.T) {
		s := newSynth(90, 50)
		res := analyzeRun(t, s.run)
		if len(res.Findings) != 0 {
			b, _ := json.MarshalIndent(res.Findings, "", "  ")
			t.Fatalf("steady run produced findings:\n%s", b)
		}
		if res.Baseline < 190 || res.Baseline > 210 {
			t.Errorf("baseline = %v, want about 200", res.Baseline)
		}
		checkGolden(t, "steady", res)
	})

	t.Run("access exclusive lock is lock_contention naming the blocker", func(t *testing.T) {
		s := newSynth(60, 20)
		s.lockTable(20, 32)
		res := analyzeRun(t, s.run)
		f := requireCause(t, res, analyze.CauseLock, 20, 32)
		if !slices.Contains(f.PIDs, 4242) || !slices.Contains(f.Objects, synthQueue) {
			t.Errorf("finding should name pid 4242 and %s: %+v", synthQueue, f)
		}
		if f.ThroughputDropPct < 50 || f.Kind != runrec.FindingDrop {
			t.Errorf("drop = %v%% kind %s, want a drop of more than 50%%", f.ThroughputDropPct, f.Kind)
		}
		if res.Baseline < 190 {
			t.Errorf("baseline %v was dragged down by the drop", res.Baseline)
		}
		checkGolden(t, "lock_table", res)
	})

	t.Run("row lock waits are row_lock_contention", func(t *testing.T) {
		s := newSynth(60, 20)
		s.rowLocks(20, 30)
		res := analyzeRun(t, s.run)
		f := requireCause(t, res, analyze.CauseRowLock, 20, 30)
		if !slices.Contains(f.PIDs, 6161) {
			t.Errorf("finding should name blocker pid 6161: %+v", f.PIDs)
		}
		checkGolden(t, "row_locks", res)
	})

	t.Run("idle in transaction snapshot is xmin_horizon", func(t *testing.T) {
		s := newSynth(70, 20)
		s.holdXmin(20, 45)
		res := analyzeRun(t, s.run)
		f := requireCause(t, res, analyze.CauseXmin, 20, 45)
		if !slices.Contains(f.PIDs, 5151) {
			t.Errorf("finding should name pid 5151: %+v", f.PIDs)
		}
		checkGolden(t, "hold_xmin", res)
	})

	t.Run("autovacuum disabled is vacuum_lag", func(t *testing.T) {
		s := newSynth(70, 20)
		s.vacuumOff(20)
		res := analyzeRun(t, s.run)
		requireCause(t, res, analyze.CauseVacuumLag, 20, 70)
		for _, f := range res.Findings {
			if f.Cause == analyze.CauseXmin {
				t.Errorf("no xmin holder, yet an xmin_horizon finding: %s", f.Summary)
			}
		}
		checkGolden(t, "vacuum_off", res)
	})

	t.Run("requested checkpoints are checkpoint_pressure", func(t *testing.T) {
		s := newSynth(60, 20)
		s.checkpoints(20, 32)
		res := analyzeRun(t, s.run)
		requireCause(t, res, analyze.CauseCheckpoint, 20, 32)
		checkGolden(t, "checkpoints", res)
	})

	t.Run("forced checkpoints that do not slow the queue yet are still a finding", func(t *testing.T) {
		s := newSynth(60, 20)
		s.checkpointsOnly(20, 32)
		res := analyzeRun(t, s.run)
		f := requireCause(t, res, analyze.CauseCheckpoint, 20, 32)
		if f.Kind != runrec.FindingWholeRun || len(res.Findings) != 1 {
			t.Errorf("want one whole-run finding, got %d (kind %s)", len(res.Findings), f.Kind)
		}
		checkGolden(t, "checkpoints_no_slowdown", res)
	})

	t.Run("foreign CPU hogs are cpu_saturation", func(t *testing.T) {
		s := newSynth(60, 20)
		s.cpuHog(20, 32)
		res := analyzeRun(t, s.run)
		f := requireCause(t, res, analyze.CauseCPU, 20, 32)
		if !slices.Contains(f.PIDs, 7001) {
			t.Errorf("finding should name a hog pid: %+v", f.PIDs)
		}
		checkGolden(t, "cpu_hog", res)
	})

	t.Run("dropped claim index is missing_index", func(t *testing.T) {
		s := newSynth(60, 20)
		s.dropIndex(20)
		dump(t, s.run)
		res := analyzeRun(t, s.run)
		f := requireCause(t, res, analyze.CauseMissingIndex, 20, 60)
		if !slices.Contains(f.Objects, synthQueue) {
			t.Errorf("finding should name %s: %+v", synthQueue, f.Objects)
		}
		checkGolden(t, "drop_index", res)
	})

	t.Run("producers slowing with an idle database is client_bound", func(t *testing.T) {
		s := newSynth(60, 20)
		s.producersSlow(20, 32)
		res := analyzeRun(t, s.run)
		requireCause(t, res, analyze.CauseClientBound, 20, 32)
		checkGolden(t, "client_bound", res)
	})

	t.Run("server restart is server_unavailable and the reset is noted", func(t *testing.T) {
		s := newSynth(60, 20)
		s.restart(20, 28)
		res := analyzeRun(t, s.run)
		requireCause(t, res, analyze.CauseUnavailable, 20, 28)
		if !anyContains(res.Notes, "reset") || !anyContains(res.Notes, "gap") {
			t.Errorf("notes should mention the reset and the gap: %q", res.Notes)
		}
		checkGolden(t, "restart", res)
	})

	t.Run("a drop nothing explains is unknown", func(t *testing.T) {
		s := newSynth(60, 20)
		s.keepCalls = true
		s.stall(20, 30, 0.3)
		res := analyzeRun(t, s.run)
		f := requireCause(t, res, analyze.CauseUnknown, 20, 30)
		if f.Summary == "" {
			t.Error("unknown finding needs a summary")
		}
		checkGolden(t, "unexplained", res)
	})

	t.Run("resets and gaps in a steady run make notes, not findings", func(t *testing.T) {
		s := newSynth(60, 20)
		s.resetsAndGaps()
		res := analyzeRun(t, s.run)
		if len(res.Findings) != 0 {
			b, _ := json.MarshalIndent(res.Findings, "", "  ")
			t.Fatalf("findings from gaps alone:\n%s", b)
		}
		if !anyContains(res.Notes, "reset") || !anyContains(res.Notes, "skipped") {
			t.Errorf("notes should report resets and skipped ticks: %q", res.Notes)
		}
		checkGolden(t, "resets_gaps", res)
	})

	t.Run("a fault covering most of an open-loop run is measured against the target", func(t *testing.T) {
		s := newSynth(60, 20)
		s.lockTable(15, 52)
		res := analyzeRun(t, s.run)
		f := requireCause(t, res, analyze.CauseLock, 15, 52)
		if f.ThroughputDropPct < 90 || res.Baseline < 190 {
			t.Errorf("drop %.0f%% against baseline %.0f: the fault became the baseline", f.ThroughputDropPct, res.Baseline)
		}
		checkGolden(t, "lock_most_of_run", res)
	})

	t.Run("WAL flush waits are wal_write", func(t *testing.T) {
		s := newSynth(60, 20)
		s.walWaits(20, 32)
		res := analyzeRun(t, s.run)
		requireCause(t, res, analyze.CauseWALWrite, 20, 32)
		checkGolden(t, "wal_waits", res)
	})

	t.Run("temp file spills and disk reads are io_saturation", func(t *testing.T) {
		s := newSynth(60, 20)
		s.tempSpill(20, 32)
		res := analyzeRun(t, s.run)
		requireCause(t, res, analyze.CauseIO, 20, 32)
		checkGolden(t, "temp_spill", res)
	})

	t.Run("pool waits at max_connections are connection_saturation", func(t *testing.T) {
		s := newSynth(60, 20)
		s.poolWaits(20, 32)
		res := analyzeRun(t, s.run)
		requireCause(t, res, analyze.CauseConnections, 20, 32)
		checkGolden(t, "pool_waits", res)
	})

	t.Run("a slow slide over a long run is a bloat trend", func(t *testing.T) {
		s := newSynth(600, 10)
		s.slowBloat()
		dump(t, s.run)
		res := analyzeRun(t, s.run)
		f := requireCause(t, res, analyze.CauseBloat, 0, 600)
		if f.Kind != runrec.FindingTrend {
			t.Errorf("kind = %s, want %s", f.Kind, runrec.FindingTrend)
		}
		checkGolden(t, "slow_bloat", res)
	})

	t.Run("no HOT updates over a long run is a whole-run finding", func(t *testing.T) {
		s := newSynth(400, 5)
		s.noHOT()
		res := analyzeRun(t, s.run)
		f := requireCause(t, res, analyze.CauseBloat, 0, 400)
		if f.Kind != runrec.FindingWholeRun || len(res.Findings) != 1 {
			t.Errorf("want exactly one whole-run finding, got %d (kind %s)", len(res.Findings), f.Kind)
		}
		checkGolden(t, "no_hot", res)
	})

	t.Run("observe mode sees an xmin holder through the claim statement", func(t *testing.T) {
		s := newSynth(70, 20)
		s.holdXmin(20, 45)
		s.toObserve()
		res := analyzeRun(t, s.run)
		requireCause(t, res, analyze.CauseXmin, 20, 45)
		checkGolden(t, "observe_xmin", res)
	})

	t.Run("observe mode without driver ticks uses queue health", func(t *testing.T) {
		s := newSynth(60, 20)
		s.lockTable(20, 32)
		s.toObserve()
		res := analyzeRun(t, s.run)
		requireCause(t, res, analyze.CauseLock, 20, 32)
		checkGolden(t, "observe_lock", res)
	})
}

func anyContains(xs []string, sub string) bool {
	for _, x := range xs {
		if bytes.Contains([]byte(x), []byte(sub)) {
			return true
		}
	}
	return false
}

func TestAnalyzeDeterministic(t *testing.T) {
	s := newSynth(60, 20)
	s.lockTable(20, 32)
	s.holdXmin(40, 55)
	a, err := analyze.Analyze(s.run, analyze.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	b, err := analyze.Analyze(s.run, analyze.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Fatal("two analyses of the same run differ")
	}
}

func TestAnalyzeErrors(t *testing.T) {
	if _, err := analyze.Analyze(&runrec.Run{}, analyze.DefaultOptions()); err == nil {
		t.Error("empty run: want an error")
	}
	o := analyze.DefaultOptions()
	o.MinDropPct = 0
	if _, err := analyze.Analyze(newSynth(10, 3).run, o); err == nil {
		t.Error("MinDropPct 0: want an error")
	}
}

// dump writes r to $PGQTUNE_DUMP (for debugging a case by hand with
// TestReanalyzeDir).
func dump(t *testing.T, r *runrec.Run) {
	if dir := os.Getenv("PGQTUNE_DUMP"); dir != "" {
		writeRun(t, dir, r)
	}
}

// writeRun writes r as a run directory, as the pipeline does.
func writeRun(t *testing.T, dir string, r *runrec.Run) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := runrec.WriteJSON(filepath.Join(dir, runrec.MetaFile), r.Meta); err != nil {
		t.Fatal(err)
	}
	for name, lines := range map[string]func(a *runrec.Appender) error{
		runrec.WorkloadFile: func(a *runrec.Appender) error {
			for _, w := range r.Workload {
				if err := a.Append(w); err != nil {
					return err
				}
			}
			return nil
		},
		runrec.SamplesFile: func(a *runrec.Appender) error {
			for _, s := range r.Samples {
				if err := a.Append(s); err != nil {
					return err
				}
			}
			return nil
		},
	} {
		path := filepath.Join(dir, name)
		os.Remove(path)
		a, err := runrec.NewAppender(path, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := lines(a); err != nil {
			t.Fatal(err)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAnalyzeReload: `pgqtune analyze RUN_DIR` must reproduce what the run
// itself reported, so analyzing a run reloaded from disk gives the same
// result as analyzing it in memory.
func TestAnalyzeReload(t *testing.T) {
	s := newSynth(60, 20)
	s.lockTable(20, 32)
	s.holdXmin(40, 55)
	dir := t.TempDir()
	writeRun(t, dir, s.run)
	loaded, err := runrec.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := analyzeRun(t, s.run)
	b := analyzeRun(t, loaded)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Fatalf("in memory and reloaded analyses differ:\n%s\n%s", ja, jb)
	}
	if len(a.Findings) < 2 {
		t.Fatalf("want the lock and the xmin findings, got %d", len(a.Findings))
	}
}
