package analyze

import (
	"math"
	"sort"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// slot is one step of the workload timeline (normally one second). Rates
// are per second whatever the step.
type slot struct {
	T         time.Time
	Present   bool // a tick was recorded for this slot
	Warmup    bool
	Measured  bool // counts for baseline and events
	Pressure  bool // inside a phase that applies a pressure on purpose
	Burndown  bool // inside a burndown phase: a backlog worked off on purpose
	Phase     string
	Completed float64 // jobs/s
	Enqueued  float64 // jobs/s
	Depth     float64 // -1 unknown
	OldestS   float64 // -1 unknown
	P99Ms     float64 // -1 unknown
	LatCount  int64
	Lat       *runrec.Percentiles
	ConnWaits float64
	Errors    float64
	Target    float64
	tick      *runrec.WorkloadTick
}

// timeline is the workload on fixed slots plus the sampler ticks.
type timeline struct {
	T0    time.Time
	StepS float64
	Slots []slot
	// Derived is set when the ticks were rebuilt from the samples' queue
	// health because the run had no workload ticks.
	Derived bool
	// Observed is set for a run pgqtune watched rather than drove: its
	// producers are the application's, and may have stopped long before.
	Observed bool
	// Truncated is set when the ticks spanned more than maxSlots.
	Truncated bool
	// MarksPartial is set when the ticks say which of them cover part of a
	// second (WorkloadTick.CoveredS); those are left off the slots.
	MarksPartial bool
}

// maxSlots bounds the timeline: 14 days of seconds.
const maxSlots = 14 * 86400

// slotOf returns the slot index for t (may be out of range). Monotonic
// clock readings are stripped so that a run analyzed in memory and the
// same run reloaded from disk land on the same slots.
func (tl *timeline) slotOf(t time.Time) int {
	return int(math.Floor(t.Round(0).Sub(tl.T0.Round(0)).Seconds()/tl.StepS + 1e-9))
}

// slotTime is the start of slot i.
func (tl *timeline) slotTime(i int) time.Time {
	return tl.T0.Add(time.Duration(float64(i) * tl.StepS * float64(time.Second)))
}

// buildTimeline lays the workload ticks on slots. Ticks are sorted by time;
// the step is the median spacing rounded to whole seconds (at least 1).
func buildTimeline(run *runrec.Run, opts Options) *timeline {
	ticks := run.Workload
	tl := &timeline{StepS: 1, Observed: run.Meta.Mode == "observe"}
	if len(ticks) == 0 {
		ticks = ticksFromSamples(run.Samples)
		tl.Derived = len(ticks) > 0
	}
	if len(ticks) == 0 {
		return tl
	}
	sorted := make([]*runrec.WorkloadTick, len(ticks))
	for i := range ticks {
		sorted[i] = &ticks[i]
	}
	sort.SliceStable(sorted, func(a, b int) bool { return sorted[a].T.Before(sorted[b].T) })
	if len(sorted) > 2 {
		gaps := make([]float64, 0, len(sorted)-1)
		for i := 1; i < len(sorted); i++ {
			gaps = append(gaps, sorted[i].T.Sub(sorted[i-1].T).Seconds())
		}
		tl.StepS = math.Max(1, math.Round(median(gaps)))
	}
	tl.T0 = sorted[0].T
	n := tl.slotOf(sorted[len(sorted)-1].T) + 1
	if n > maxSlots || n < 0 {
		// A clock jump or a corrupt tick must not allocate years of slots.
		n = maxSlots
		tl.Truncated = true
	}
	tl.Slots = make([]slot, n)
	for i := range tl.Slots {
		tl.Slots[i] = slot{T: tl.slotTime(i), Depth: -1, OldestS: -1, P99Ms: -1}
	}
	anyWarm := false
	for _, tk := range sorted {
		i := tl.slotOf(tk.T)
		if tk.CoveredS > 0 {
			tl.MarksPartial = true
		}
		if i < 0 || i >= n || tk.Partial() {
			// A partial second is not a rate: left out of the series,
			// baseline, phases and events alike.
			continue
		}
		s := &tl.Slots[i]
		if s.Present { // two ticks in one slot: add them up
			s.Completed += float64(tk.Completed) / tl.StepS
			s.Enqueued += float64(tk.Enqueued) / tl.StepS
			continue
		}
		s.Present = true
		s.tick = tk
		s.Warmup = tk.Warmup
		anyWarm = anyWarm || tk.Warmup
		s.Phase = tk.Phase
		s.Completed = float64(tk.Completed) / tl.StepS
		s.Enqueued = float64(tk.Enqueued) / tl.StepS
		s.ConnWaits = float64(tk.ConnWaits) / tl.StepS
		s.Errors = float64(tk.Errors) / tl.StepS
		s.Target = tk.TargetRate
		if tk.Depth >= 0 {
			s.Depth = float64(tk.Depth)
		}
		if tk.OldestPendingAgeS >= 0 {
			s.OldestS = tk.OldestPendingAgeS
		}
		if tk.LatencyMs != nil && tk.LatencyMs.P99 > 0 {
			s.P99Ms = tk.LatencyMs.P99
			s.Lat = tk.LatencyMs
			s.LatCount = tk.LatencyMs.Count
		}
	}
	markPhases(tl, run.Meta.Phases)
	markMeasured(tl, anyWarm, opts)
	return tl
}

// markPhases marks warm-up and pressure slots from Meta.Phases, for ticks
// that did not carry them.
func markPhases(tl *timeline, phases []runrec.PhaseSpan) {
	for _, p := range phases {
		for i := range tl.Slots {
			s := &tl.Slots[i]
			if s.T.Before(p.Start) || !s.T.Before(p.End) {
				continue
			}
			if p.Warmup {
				s.Warmup = true
			}
			if p.Pressure != "" {
				s.Pressure = true
			}
			if p.Profile == "burndown" {
				s.Burndown = true
			}
			if s.Phase == "" {
				s.Phase = p.Name
			}
		}
	}
}

// markMeasured decides which slots count: present, not warm-up (or, when
// nothing is marked, not the first WarmupS seconds), and not the tail after
// the producers stopped (a drain is not a drop).
func markMeasured(tl *timeline, anyWarm bool, opts Options) {
	skip := 0
	if !anyWarm && !tl.Derived {
		skip = int(math.Ceil(opts.WarmupS / tl.StepS))
	} else if tl.Derived {
		skip = 1 // the first derived tick has no deltas behind it
	}
	// Ticks before the end of warm-up (the driver's first partial
	// second) do not count either.
	lastWarm := -1
	for i := range tl.Slots {
		if tl.Slots[i].Warmup {
			lastWarm = i
		}
	}
	for i := range tl.Slots {
		s := &tl.Slots[i]
		s.Measured = s.Present && !s.Warmup && i >= skip && i > lastWarm
	}
	// The producers' tail: trailing slots where nothing was enqueued. A
	// burndown has no producers once its backlog is in: its work-off is
	// the measured part, and the loading before it (consumers paused) is
	// not.
	tail := len(tl.Slots)
	for i := len(tl.Slots) - 1; i >= 0; i-- {
		s := &tl.Slots[i]
		if !s.Present {
			continue
		}
		if s.Enqueued > 0 || s.Burndown || (tl.Derived || tl.Observed) && s.Depth > 0 && s.Depth >= s.Completed*tl.StepS {
			// An observed queue draining a backlog has no producer, but
			// its workers had a second's work waiting: that is work, not
			// the tail of a drain (an application that enqueued a million
			// jobs and watches its workers work them off).
			break
		}
		tail = i
	}
	if first, last, ok := observedDrain(tl, tail); ok {
		// An observed load test that enqueued its backlog and then worked
		// it off, enqueueing nothing more, whose depth is not sampled (a
		// pg-boss queue without its fetch index: counting its waiting jobs
		// would scan the table), is nearly all producers' tail by the rule
		// above: its work-off is what it measures, as a burndown's is.
		// Left out: the loading before its first completion, and its first
		// and last completing seconds (partial).
		for i := range tl.Slots {
			if i <= first || i >= last {
				tl.Slots[i].Measured = false
			}
		}
	} else {
		for i := tail; i < len(tl.Slots); i++ {
			tl.Slots[i].Measured = false
		}
	}
	working := false
	for i := range tl.Slots {
		s := &tl.Slots[i]
		if !s.Burndown {
			working = false
			continue
		}
		if (!working && s.Completed == 0) || (working && s.Completed == 0 && s.Depth == 0) {
			// Still loading, or the backlog is gone.
			s.Measured = false
			continue
		}
		// The second the consumers start is partial.
		if !working {
			s.Measured = false
		}
		working = true
	}
	// The last slot is usually partial (the run stopped mid-second). A
	// driver that records CoveredS says which ticks are partial, and those
	// never made it onto a slot; older runs do not, so their last slot is
	// left out on suspicion.
	if n := len(tl.Slots); n > 0 && !tl.MarksPartial {
		tl.Slots[n-1].Measured = false
	}
}

// observedDrain reports whether an observed run's producers' tail (slots
// from tail on enqueue nothing) holds most of its completions, and returns
// its first and last slots with completions.
func observedDrain(tl *timeline, tail int) (first, last int, ok bool) {
	if !tl.Observed {
		return 0, 0, false
	}
	var total, inTail float64
	first, last = -1, -1
	for i := range tl.Slots {
		s := &tl.Slots[i]
		if !s.Present || s.Completed <= 0 {
			continue
		}
		total += s.Completed
		if i >= tail {
			inTail += s.Completed
		}
		if first < 0 {
			first = i
		}
		last = i
	}
	// At least one whole second between the partial first and last.
	return first, last, total > 0 && 2*inTail >= total && last-first >= 2
}

// ticksFromSamples rebuilds workload ticks from the sampler's queue health,
// for runs recorded without them.
func ticksFromSamples(samples []runrec.Sample) []runrec.WorkloadTick {
	var out []runrec.WorkloadTick
	for i := range samples {
		s := &samples[i]
		if len(s.Queues) == 0 {
			continue
		}
		tk := runrec.WorkloadTick{T: s.T, Depth: -1, OldestPendingAgeS: -1}
		for _, q := range s.Queues {
			tk.Enqueued += q.Enqueued
			tk.Completed += q.Completed
			if q.Depth >= 0 {
				tk.Depth = max(tk.Depth, 0) + q.Depth
			}
			tk.OldestPendingAgeS = math.Max(tk.OldestPendingAgeS, q.OldestPendingAgeS)
		}
		out = append(out, tk)
	}
	return out
}
