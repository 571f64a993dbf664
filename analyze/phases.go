package analyze

import (
	"math"
	"sort"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// phaseResults measures each phase of Meta.Phases: mean completed jobs/s,
// drop against baseline, an approximate p99 and, for pressure phases, how
// long after the phase ended throughput took to come back.
func (sc *scene) phaseResults() []runrec.PhaseResult {
	var out []runrec.PhaseResult
	for _, p := range sc.run.Meta.Phases {
		r := runrec.PhaseResult{Name: p.Name, Start: p.Start, End: p.End, Pressure: p.Pressure}
		var sum float64
		n := 0
		var lats []*runrec.Percentiles
		for i := range sc.tl.Slots {
			s := &sc.tl.Slots[i]
			if !s.Present || s.T.Before(p.Start) || !s.T.Before(p.End) {
				continue
			}
			sum += s.Completed
			n++
			if s.Lat != nil {
				lats = append(lats, s.Lat)
			}
		}
		if n > 0 {
			r.JobsPerS = round(sum/float64(n), 1)
		}
		if sc.base.Rate > 0 && n > 0 && !p.Warmup {
			r.DropPct = round(math.Max(0, 100*(sc.base.Rate-r.JobsPerS)/sc.base.Rate), 1)
		}
		r.P99Ms = round(mergedQuantile(lats, 0.99), 2)
		if p.P99Ms > 0 {
			r.P99Ms = p.P99Ms // the driver's merged histogram is exact
		}
		if p.Pressure != "" {
			r.RecoveryS = sc.recovery(p.End)
		}
		out = append(out, r)
	}
	return out
}

// recovery is the seconds from t until a 5-second mean of completed jobs/s
// is back within MinDropPct of its expected rate (nil when it never is).
func (sc *scene) recovery(t time.Time) *float64 {
	start := sc.tl.slotOf(t)
	if start < 0 {
		start = 0
	}
	const win = 5
	for i := start; i+win <= len(sc.tl.Slots); i++ {
		var got, exp float64
		ok := true
		for k := i; k < i+win; k++ {
			s := &sc.tl.Slots[k]
			if !s.Present {
				ok = false
				break
			}
			e, _ := sc.expected(k)
			got += s.Completed
			exp += e
		}
		if ok && got >= exp*(1-sc.opts.MinDropPct/100) {
			v := round(float64(i-start)*sc.tl.StepS, 1)
			return &v
		}
	}
	return nil
}

// mergedQuantile approximates the q-quantile of the union of per-second
// latency distributions, modelling each second by its recorded
// percentiles weighted by the share of jobs they stand for.
func mergedQuantile(ps []*runrec.Percentiles, q float64) float64 {
	type pt struct{ v, w float64 }
	var pts []pt
	var total float64
	for _, p := range ps {
		c := float64(max(p.Count, 1))
		p90 := p.P90
		if p90 == 0 {
			p90 = p.P95
		}
		p999 := p.P999
		if p999 == 0 {
			p999 = p.Max
		}
		for _, x := range []pt{{p.P50, 0.5}, {p90, 0.4}, {p.P95, 0.05}, {p.P99, 0.04}, {p999, 0.009}, {p.Max, 0.001}} {
			pts = append(pts, pt{x.v, x.w * c})
		}
		total += c
	}
	if total == 0 {
		return 0
	}
	sort.Slice(pts, func(a, b int) bool { return pts[a].v < pts[b].v })
	acc := 0.0
	for _, p := range pts {
		acc += p.w
		if acc >= q*total {
			return p.v
		}
	}
	return pts[len(pts)-1].v
}
