package report

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// timeline is the recorded run as plain series for the charts and
// sparklines: workload seconds, and database statistics per sampler tick.
// Unknown values are NaN so a chart shows a gap instead of a false zero.
type timeline struct {
	// Workload seconds.
	T                   []time.Time
	Completed, Enqueued []float64
	Depth               []float64
	P50, P95, P99       []float64
	// Target is the intended enqueue rate (NaN when closed loop).
	Target []float64
	Warmup []bool

	// Sampler ticks.
	ST         []time.Time
	LockWaits  []float64
	WALBytesPS []float64
	// DeadTup is dead tuples per queue table (sorted names in Tables).
	Tables  []string
	DeadTup map[string][]float64
	// Autovacuums are the ticks in which a table's autovacuum count rose.
	Autovacuums map[string][]time.Time
	Checkpoints []checkpointEvent
	// ByWait is active sessions per wait event type ("CPU" when not
	// waiting) at each sampler tick, types sorted in WaitTypes.
	WaitTypes []string
	ByWait    map[string][]float64
}

// checkpointEvent is a sampler tick in which checkpoints completed.
type checkpointEvent struct {
	T         time.Time
	Requested bool
}

// buildTimeline takes the series from the recorded run when there is one,
// else from the report's own throughput series.
func buildTimeline(rep *runrec.Report, run *runrec.Run) *timeline {
	tl := &timeline{DeadTup: map[string][]float64{}, Autovacuums: map[string][]time.Time{}, ByWait: map[string][]float64{}}
	if run != nil && len(run.Workload) > 0 {
		tl.addWorkload(run.Workload)
	} else {
		tl.addSeries(rep.Throughput.Series)
	}
	if run == nil {
		return tl
	}
	queue := map[string]bool{}
	for _, q := range rep.Run.QueueTables {
		queue[q] = true
	}
	for _, q := range run.Meta.QueueTables {
		queue[q] = true
	}
	// activity[i] says whether tick i saw pg_stat_activity at all: a wait
	// type first seen later had zero sessions then, not an unknown number.
	var activity []bool
	for i := range run.Samples {
		s := &run.Samples[i]
		n := len(tl.ST)
		tl.ST = append(tl.ST, s.T.UTC())
		tl.LockWaits = append(tl.LockWaits, math.NaN())
		if s.Locks != nil {
			tl.LockWaits[n] = float64(s.Locks.Waiting)
		}
		tl.WALBytesPS = append(tl.WALBytesPS, math.NaN())
		if s.WAL != nil && s.IntervalS > 0 {
			b := s.WAL.LSNBytes
			if s.WAL.HasStatWAL && s.WAL.Bytes > 0 {
				b = s.WAL.Bytes
			}
			tl.WALBytesPS[n] = float64(b) / s.IntervalS
		}
		activity = append(activity, s.Activity != nil)
		tl.addWaits(s, n, activity)
		if c := s.Checkpointer; c != nil && c.Timed+c.Requested > 0 {
			tl.Checkpoints = append(tl.Checkpoints, checkpointEvent{T: s.T.UTC(), Requested: c.Requested > 0})
		}
		tl.addTables(s, n, queue)
	}
	tl.finish()
	return tl
}

// addWorkload takes the workload seconds of the recorded run.
func (tl *timeline) addWorkload(ticks []runrec.WorkloadTick) {
	for _, w := range ticks {
		if w.Partial() {
			continue // not a whole second: it would draw a false drop
		}
		tl.T = append(tl.T, w.T.UTC())
		tl.Completed = append(tl.Completed, float64(w.Completed))
		tl.Enqueued = append(tl.Enqueued, float64(w.Enqueued))
		tl.Depth = append(tl.Depth, knownOrNaN(float64(w.Depth), w.Depth >= 0))
		tl.Warmup = append(tl.Warmup, w.Warmup)
		tl.Target = append(tl.Target, knownOrNaN(w.TargetRate, w.TargetRate > 0))
		if l := w.LatencyMs; l != nil {
			tl.P50, tl.P95, tl.P99 = append(tl.P50, l.P50), append(tl.P95, l.P95), append(tl.P99, l.P99)
		} else {
			tl.P50, tl.P95, tl.P99 = append(tl.P50, math.NaN()), append(tl.P95, math.NaN()), append(tl.P99, math.NaN())
		}
	}
}

// addSeries takes the report's own throughput series, when no run was
// recorded beside it.
func (tl *timeline) addSeries(series []runrec.SeriesPoint) {
	for _, p := range series {
		tl.T = append(tl.T, p.T.UTC())
		tl.Completed = append(tl.Completed, float64(p.Completed))
		tl.Enqueued = append(tl.Enqueued, float64(p.Enqueued))
		tl.Warmup = append(tl.Warmup, false)
		tl.Target = append(tl.Target, math.NaN())
		if p.Depth != nil && *p.Depth >= 0 {
			tl.Depth = append(tl.Depth, float64(*p.Depth))
		} else {
			tl.Depth = append(tl.Depth, math.NaN())
		}
		tl.P50, tl.P95 = append(tl.P50, math.NaN()), append(tl.P95, math.NaN())
		if p.P99Ms != nil {
			tl.P99 = append(tl.P99, *p.P99Ms)
		} else {
			tl.P99 = append(tl.P99, math.NaN())
		}
	}
}

// addWaits adds tick n's active sessions per wait type; activity says which
// ticks saw pg_stat_activity.
func (tl *timeline) addWaits(s *runrec.Sample, n int, activity []bool) {
	if a := s.Activity; a != nil {
		byType := map[string]float64{}
		for k, cnt := range a.ByWait {
			typ, _, _ := strings.Cut(k, ":")
			byType[typ] += float64(cnt)
		}
		for typ := range byType {
			if _, ok := tl.ByWait[typ]; !ok {
				before := make([]float64, n)
				for i := range before {
					before[i] = knownOrNaN(0, activity[i])
				}
				tl.ByWait[typ] = before
				tl.WaitTypes = append(tl.WaitTypes, typ)
			}
		}
		for _, typ := range tl.WaitTypes {
			// A type absent this tick had no session: zero, not unknown.
			tl.ByWait[typ] = append(padNaN(tl.ByWait[typ], n), byType[typ])
		}
	}
}

// addTables adds tick n's dead tuples and autovacuums of the queue tables.
func (tl *timeline) addTables(s *runrec.Sample, n int, queue map[string]bool) {
	for _, ts := range s.Tables {
		if !ts.Queue && !queue[ts.Relation] {
			continue
		}
		dt, ok := tl.DeadTup[ts.Relation]
		if !ok {
			// A table first seen late gets gaps for the ticks before.
			dt = nanSlice(n)
			tl.Tables = append(tl.Tables, ts.Relation)
		}
		for len(dt) < n {
			dt = append(dt, math.NaN())
		}
		tl.DeadTup[ts.Relation] = append(dt, float64(ts.DeadTup))
		if ts.Autovacuum > 0 {
			tl.Autovacuums[ts.Relation] = append(tl.Autovacuums[ts.Relation], s.T.UTC())
		}
	}
}

// finish pads every series to the last tick and orders tables and wait
// types.
func (tl *timeline) finish() {
	for _, name := range tl.Tables {
		for len(tl.DeadTup[name]) < len(tl.ST) {
			tl.DeadTup[name] = append(tl.DeadTup[name], math.NaN())
		}
	}
	for _, typ := range tl.WaitTypes {
		tl.ByWait[typ] = padNaN(tl.ByWait[typ], len(tl.ST))
	}
	slices.SortFunc(tl.Tables, strings.Compare)
	slices.SortFunc(tl.WaitTypes, func(a, b string) int {
		// CPU first: the sessions doing work, then the kinds of waiting.
		return cmp.Or(boolOrder(a == "CPU", b == "CPU"), strings.Compare(a, b))
	})
}

// padNaN extends s with unknown values to length n.
func padNaN(s []float64, n int) []float64 {
	for len(s) < n {
		s = append(s, math.NaN())
	}
	return s
}

// boolOrder sorts true before false.
func boolOrder(a, b bool) int {
	switch {
	case a && !b:
		return -1
	case b && !a:
		return 1
	}
	return 0
}

func knownOrNaN(v float64, known bool) float64 {
	if known {
		return v
	}
	return math.NaN()
}

func nanSlice(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = math.NaN()
	}
	return s
}

// hasData reports whether s has at least one known value.
func hasData(s []float64) bool {
	return slices.ContainsFunc(s, func(v float64) bool { return !math.IsNaN(v) })
}
