package analyze

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// Result is what Analyze found in a run.
type Result struct {
	// Baseline is the robust normal completed jobs/s (warm-up, pressure
	// phases and events excluded).
	Baseline float64
	// BaselineP99Ms is the median per-second p99 latency over the same
	// seconds (0 when the run recorded no latencies).
	BaselineP99Ms float64
	// Mean is the mean completed jobs/s over the measured seconds.
	Mean float64
	// Findings are events in time order (F1, F2, ...) followed by
	// whole-run findings.
	Findings []runrec.Finding
	// Phases are Meta.Phases measured.
	Phases []runrec.PhaseResult
	// Series is the throughput series, one point per second.
	Series []runrec.SeriesPoint
	// Notes say what could not be seen (collectors without data, resets,
	// gaps).
	Notes []string
}

// ErrNoData is returned when a run has neither workload ticks nor samples.
var ErrNoData = errors.New("analyze: run has no workload ticks and no samples")

// Analyze finds the throughput drops and slow-downs of a recorded run and
// names their causes. It reads only run (no database) and is deterministic:
// the same run and options give the same result.
func Analyze(run *runrec.Run, opts Options) (*Result, error) {
	if run == nil {
		return nil, fmt.Errorf("analyze: nil run")
	}
	if len(run.Workload) == 0 && len(run.Samples) == 0 {
		return nil, ErrNoData
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	sc, events, cleanups := detectAll(run, opts)
	res := &Result{
		Baseline:      round(sc.base.Rate, 2),
		BaselineP99Ms: round(sc.base.P99Ms, 3),
		Mean:          round(sc.measuredMean(), 2),
		Series:        sc.series(),
		Findings:      []runrec.Finding{},
	}
	for _, w := range events {
		res.Findings = append(res.Findings, sc.finding(w, sc.attribute(core(w))))
	}
	var late []runrec.Finding
	if tw := sc.trendWindow(events); tw != nil {
		// Attribute a slide on its last quarter, where it is worst,
		// against its first quarter, where it had not started.
		q := (tw.I1 - tw.I0 + 1) / 4
		aw := *tw
		aw.I0 = max(tw.I0, tw.I1-q)
		f := sc.withBaseSlots(tw.I0, tw.I0+q, func() runrec.Finding { return sc.finding(tw, sc.attribute(&aw)) })
		res.Findings = absorb(res.Findings, &f)
		late = append(late, f)
	}
	for _, w := range cleanups {
		f := sc.finding(w, sc.attribute(w))
		// Dead tuples nobody can blame are not worth a finding of their
		// own. A whole-run one (autovacuum off or starved all run) states
		// the growth a minute and when the claim's cost doubles, which a
		// drop it caused does not: only a finding of its cause over nearly
		// all of it tells it already (under make test-stress a vacuum_lag
		// drop over 58 % of the run hid it).
		hidden := explained(res.Findings, f)
		if w.Kind == runrec.FindingWholeRun && sc.reachesEnd(w) {
			hidden = explainedWholeRun(res.Findings, f)
		}
		if f.Cause != CauseUnknown && !hidden {
			late = append(late, f)
		}
	}
	for _, w := range sc.checkpointWindows() {
		f := sc.finding(w, sc.attribute(w))
		// A storm is reported as such even where a drop it contributed to
		// (named wal_write, say) is a finding already, or one it caused
		// covers part of it: only this one states its WAL and writes and
		// leads to max_wal_size. A finding of its cause over nearly all
		// of it tells it already.
		if f.Cause != CauseUnknown && !explainedStorm(res.Findings, f) {
			late = append(late, f)
		}
	}
	for _, w := range sc.outageWindows() {
		f := sc.finding(w, sc.attribute(w))
		// A restart is reported unless a finding already blames it; a
		// lost connection only when nothing else covers those seconds.
		if f.Cause != CauseUnknown && !explained(res.Findings, f) && (w.Restart || !overlapsAny(res.Findings, f)) {
			late = append(late, f)
		}
	}
	late = append(late, sc.hotFindings()...)
	sort.SliceStable(res.Findings, func(a, b int) bool { return res.Findings[a].Start.Before(res.Findings[b].Start) })
	sort.SliceStable(late, func(a, b int) bool { return late[a].Start.Before(late[b].Start) })
	res.Findings = append(res.Findings, late...)
	for i := range res.Findings {
		res.Findings[i].ID = fmt.Sprintf("F%d", i+1)
	}
	res.Phases = sc.phaseResults()
	res.Notes = sc.notes()
	if res.Notes == nil {
		res.Notes = []string{}
	}
	return res, nil
}

// measuredMean is the mean completed jobs/s over measured slots.
func (sc *scene) measuredMean() float64 {
	var s float64
	n := 0
	for i := range sc.tl.Slots {
		if sc.tl.Slots[i].Measured {
			s += sc.tl.Slots[i].Completed
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return s / float64(n)
}

// validate rejects thresholds that would make every second an event.
func (o Options) validate() error {
	bad := func(name string, v float64) error {
		return fmt.Errorf("analyze: option %s = %v is out of range", name, v)
	}
	switch {
	case o.MinDropPct <= 0 || o.MinDropPct >= 100 || math.IsNaN(o.MinDropPct):
		return bad("MinDropPct", o.MinDropPct)
	case o.MinWindowS <= 0:
		return bad("MinWindowS", o.MinWindowS)
	case o.LatencyFactor <= 1:
		return bad("LatencyFactor", o.LatencyFactor)
	case o.BacklogFactor <= 1:
		return bad("BacklogFactor", o.BacklogFactor)
	case o.ClaimFactor <= 1:
		return bad("ClaimFactor", o.ClaimFactor)
	case o.MinCauseScore <= 0 || o.MinCauseScore > 1:
		return bad("MinCauseScore", o.MinCauseScore)
	}
	return nil
}

// core is the part of w where the fault acts: a drop's low seconds, not
// the catch-up after them. Only for a drop finding: in a slowdown (or
// latency, backlog) the rate fell too little to be the finding's kind,
// its "low seconds" are the workload's own burstiness, and the fault acts
// over the whole window (under make test-stress, River starved by two CPU
// hogs and the stress load lost 6 % with bursts of 0 and 969 jobs a
// second: its lowest seconds came after the hogs had ended, and the
// slowdown they caused was scored where they were gone).
func core(w *window) *window {
	if !w.Drop || w.D0 < 0 || w.Kind != runrec.FindingDrop {
		return w
	}
	c := *w
	c.I0, c.I1 = w.D0, w.D1
	return &c
}

// explained reports whether an event finding already names f's cause over
// an overlapping span (a cleanup problem that also slowed the claim), as
// its cause or as a contributing one scored at least as high (a CPU hog's
// long query held the horizon too: one finding tells both).
//
// An event that covers less than half of f's span does not explain it: a
// checkpoint storm all run long that also caused one short drop is still
// a storm, and its whole-run finding says what it costs.
func explained(events []runrec.Finding, f runrec.Finding) bool {
	return explainedBy(events, f, 0.5, 0.5)
}

// reachesEnd reports whether w runs to the last measured second: a pile of
// dead tuples still growing when the run ended, the slow fault a whole-run
// finding is for. One that was cut before (its holder ended) is told by a
// drop of its cause over half of it, like any other event.
func (sc *scene) reachesEnd(w *window) bool {
	last := -1
	for i := range sc.tl.Slots {
		if sc.tl.Slots[i].Measured {
			last = i
		}
	}
	return w.I1+2 >= last
}

// explainedStorm is explained for a checkpoint storm: only a finding of
// the same cause covering at least 80% of its span explains it.
func explainedStorm(events []runrec.Finding, f runrec.Finding) bool {
	return explainedBy(events, f, 0.8, 0)
}

// explainedWholeRun is explained for a whole-run cleanup finding: a
// finding of its cause must cover at least 80% of it, while one that
// lists it as contributing over half of it tells it already.
func explainedWholeRun(events []runrec.Finding, f runrec.Finding) bool {
	return explainedBy(events, f, 0.8, 0.5)
}

// explainedBy is explained with the share of f's span an event of the
// same cause must cover, and the share an event listing f's cause as
// contributing must cover (0: a contributing mention does not count).
func explainedBy(events []runrec.Finding, f runrec.Finding, coverSame, coverContributing float64) bool {
	for _, e := range events {
		if !(e.Start.Before(f.End) && f.Start.Before(e.End)) {
			continue
		}
		lo, hi := maxTime(e.Start, f.Start), minTime(e.End, f.End)
		covered := 1.0
		if span := f.End.Sub(f.Start); span > 0 {
			covered = hi.Sub(lo).Seconds() / span.Seconds()
		}
		if e.Cause == f.Cause && covered >= coverSame {
			return true
		}
		if coverContributing == 0 || covered < coverContributing {
			continue
		}
		for _, c := range e.Contributing {
			// Told already, as strongly as the finding would tell it.
			if c.Cause == f.Cause && c.Score >= f.Confidence {
				return true
			}
		}
	}
	return false
}

// absorb removes the drop and slow-down windows that are only the deep end
// of a slide (same cause, or none of their own, inside its span) and
// counts them in the trend's evidence: one finding per problem.
func absorb(events []runrec.Finding, trend *runrec.Finding) []runrec.Finding {
	out := events[:0]
	n := 0
	for _, e := range events {
		part := (e.Cause == trend.Cause || e.Cause == CauseUnknown) &&
			(e.Kind == runrec.FindingDrop || e.Kind == runrec.FindingSlowdown) &&
			!e.Start.Before(trend.Start) && !e.End.After(trend.End.Add(time.Second))
		if part {
			n++
			continue
		}
		out = append(out, e)
	}
	if n > 0 {
		trend.Evidence = append(trend.Evidence, runrec.Evidence{Signal: "events.absorbed", Value: float64(n),
			Detail: fmt.Sprintf("%d drop or slow-down window(s) late in the run are the deep end of this slide and are not reported separately", n)})
	}
	return out
}

// detectAll builds the scene and finds the events and cleanup windows.
// Two passes: the first baseline includes the events, which would flatten
// it; the second leaves them out.
func detectAll(run *runrec.Run, opts Options) (*scene, []*window, []*window) {
	sc := newScene(run, opts)
	sc.computeBaseline(nil)
	events := sc.detect()
	cleanups := sc.cleanupWindows()
	if len(events)+len(cleanups) > 0 {
		first := sc.base
		sc.computeBaseline(eventMask(len(sc.tl.Slots), append(slices.Clone(events), cleanups...)))
		sc.base.tighten(first)
		events = sc.detect()
		cleanups = sc.cleanupWindows()
	}
	return sc, events, cleanups
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
