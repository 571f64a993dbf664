package sqlload

import (
	"sort"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// PhaseResults summarises each measured (non-warm-up) phase from the
// per-second ticks: its completed jobs/s, how far that fell below the
// reference (the first measured phase without a pressure), its p99 (the
// driver's own figure when the span has one, else the worst second's), and
// how long after the phase ended the backlog took to get back to its
// pre-phase level (nil when it never did, or depth was not known).
func PhaseResults(ticks []runrec.WorkloadTick, spans []runrec.PhaseSpan) []runrec.PhaseResult {
	var out []runrec.PhaseResult
	ref := -1.0
	for _, sp := range spans {
		if sp.Warmup {
			continue
		}
		r := runrec.PhaseResult{Name: sp.Name, Start: sp.Start, End: sp.End, Pressure: sp.Pressure, P99Ms: sp.P99Ms}
		in := ticksIn(ticks, sp.Start, sp.End)
		var comp int64
		for _, t := range in {
			comp += t.Completed
			if sp.P99Ms == 0 && t.LatencyMs != nil {
				r.P99Ms = max(r.P99Ms, t.LatencyMs.P99)
			}
		}
		switch {
		case sp.JobsPerS > 0:
			r.JobsPerS = sp.JobsPerS
		case len(in) > 0:
			r.JobsPerS = round2(float64(comp) / float64(len(in)))
		}
		if ref < 0 && sp.Pressure == "" && r.JobsPerS > 0 {
			ref = r.JobsPerS
		}
		if ref > 0 && r.JobsPerS < ref {
			r.DropPct = round2((ref - r.JobsPerS) / ref * 100)
		}
		r.RecoveryS = recovery(ticks, sp.Start, sp.End)
		out = append(out, r)
	}
	return out
}

// ticksIn returns the ticks whose second starts in [from, to).
func ticksIn(ticks []runrec.WorkloadTick, from, to time.Time) []runrec.WorkloadTick {
	var out []runrec.WorkloadTick
	for _, t := range ticks {
		if !t.T.Before(from.Truncate(time.Second)) && t.T.Before(to) {
			out = append(out, t)
		}
	}
	return out
}

// recovery is the seconds from the phase's end until the depth is back at
// its level of the few seconds before the phase began (with slack for
// noise: half again, plus ten jobs). 0 when it never rose above it.
func recovery(ticks []runrec.WorkloadTick, start, end time.Time) *float64 {
	var before []int64
	for _, t := range ticks {
		if t.T.Before(start) && !t.T.Before(start.Add(-5*time.Second)) && t.Depth >= 0 {
			before = append(before, t.Depth)
		}
	}
	if len(before) == 0 {
		return nil
	}
	sort.Slice(before, func(i, j int) bool { return before[i] < before[j] })
	level := before[len(before)/2]
	limit := level + level/2 + 10
	for _, t := range ticks {
		// From the phase's last second on.
		if t.T.Add(time.Second).Before(end) || t.Depth < 0 {
			continue
		}
		if t.Depth <= limit {
			s := round2(max(t.T.Add(time.Second).Sub(end).Seconds(), 0))
			return &s
		}
	}
	return nil
}
