package analyze

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// deadInfo is one queue table's dead tuples over a window.
type deadInfo struct {
	Table              string
	First, Last, Max   float64
	Live               float64
	Trigger            float64 // the autovacuum trigger for this table
	Vacuums            int64   // (auto)vacuums finished in the window
	Vacuuming          bool
	LastAutovacuumAgeS float64
	Reloptions         []string
	AutovacuumOff      bool
}

// Growth is how far dead tuples rose over the window.
func (d *deadInfo) Growth() float64 { return d.Last - d.First }

// autovacuumSettings reads the trigger settings from the run's settings
// (Meta first, then the first sample that has them), with Postgres'
// defaults.
func (sc *scene) autovacuumSettings() (threshold, scale, naptime float64, on bool) {
	threshold, scale, naptime, on = 50, 0.2, 60, true
	get := sc.setting
	if v, ok := get("autovacuum_vacuum_threshold"); ok {
		threshold = parseFloat(v, threshold)
	}
	if v, ok := get("autovacuum_vacuum_scale_factor"); ok {
		scale = parseFloat(v, scale)
	}
	if v, ok := get("autovacuum_naptime"); ok {
		naptime = parseSeconds(v, naptime)
	}
	if v, ok := get("autovacuum"); ok {
		on = v != "off"
	}
	return
}

// parseFloat parses v or returns def.
func parseFloat(v string, def float64) float64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return def
	}
	return f
}

// parseSeconds parses a pg_settings duration ("60", "1min", "500ms").
func parseSeconds(v string, def float64) float64 {
	v = strings.TrimSpace(v)
	units := []struct {
		suffix string
		mul    float64
	}{{"ms", 0.001}, {"min", 60}, {"s", 1}, {"h", 3600}, {"d", 86400}}
	for _, u := range units {
		if strings.HasSuffix(v, u.suffix) {
			return parseFloat(strings.TrimSuffix(v, u.suffix), def/u.mul) * u.mul
		}
	}
	return parseFloat(v, def)
}

// reloption looks up name=value in a reloptions list.
func reloption(opts []string, name string) (string, bool) {
	for _, o := range opts {
		k, v, ok := strings.Cut(o, "=")
		if ok && strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// deadTuples reports every queue table's dead tuples over the frames from
// slot i0 to i1, sorted by growth, largest first.
func (sc *scene) deadTuples(i0, i1 int) []deadInfo {
	thr, scale, _, on := sc.autovacuumSettings()
	fr := sc.frameRange(i0, i1)
	if len(fr) == 0 {
		return nil
	}
	// Reloptions are recorded when they change: replay up to the window end.
	relopts := map[string][]string{}
	last := fr[len(fr)-1].sampleIndex
	for _, s := range sc.samples[:last+1] {
		for t, o := range s.Reloptions {
			relopts[t] = o
		}
	}
	m := map[string]*deadInfo{}
	var order []string
	for k := range fr {
		s := sc.samples[fr[k].sampleIndex]
		for _, t := range s.Tables {
			if !sc.q.isQueue(t.Relation) {
				continue
			}
			d := m[t.Relation]
			if d == nil {
				d = &deadInfo{Table: t.Relation, First: float64(t.DeadTup)}
				m[t.Relation] = d
				order = append(order, t.Relation)
			}
			d.Last = float64(t.DeadTup)
			d.Max = max(d.Max, d.Last)
			d.Live = float64(t.LiveTup)
			d.Vacuums += t.Vacuum + t.Autovacuum
			d.LastAutovacuumAgeS = t.LastAutovacuumAgeS
		}
		for _, v := range s.Vacuums {
			if d := m[v.Relation]; d != nil {
				d.Vacuuming = true
			}
		}
	}
	out := make([]deadInfo, 0, len(order))
	for _, t := range order {
		d := m[t]
		d.Reloptions = relopts[t]
		tt, ts := thr, scale
		if v, ok := reloption(d.Reloptions, "autovacuum_vacuum_threshold"); ok {
			tt = parseFloat(v, tt)
		}
		if v, ok := reloption(d.Reloptions, "autovacuum_vacuum_scale_factor"); ok {
			ts = parseFloat(v, ts)
		}
		d.Trigger = tt + ts*d.Live
		if v, ok := reloption(d.Reloptions, "autovacuum_enabled"); ok && (v == "false" || v == "off") {
			d.AutovacuumOff = true
		}
		if !on {
			d.AutovacuumOff = true
		}
		out = append(out, *d)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Growth() > out[b].Growth() })
	return out
}

// deadScore rates how badly dead tuples piled up on the worst queue table
// of a window: growth past the autovacuum trigger and past the level they
// normally reach between vacuums (a small hot queue table sits above its
// tiny trigger most of the time).
func (sc *scene) deadScore(ds []deadInfo) (float64, *deadInfo) {
	if len(ds) == 0 {
		return 0, nil
	}
	peak := sc.deadPeak()
	best, bi := 0.0, 0
	for i := range ds {
		d := &ds[i]
		trig := max(d.Trigger, 50, peak)
		// The level is what hurts a claim; growth says it is still piling up.
		s := ramp(d.Last/trig, 1.5, 4) * max(ramp(d.Growth()/trig, 0.2, 1), 0.5)
		if s > best {
			best, bi = s, i
		}
	}
	return best, &ds[bi]
}

// deadPeak is the level dead tuples on the queue tables normally reach
// between two vacuums: the lower quartile of the maxima of stretches of
// two autovacuum naptimes (at least MinWindowS) over the measured run. A
// quartile, not the baseline's maximum, so that a cleanup problem covering
// most of the run does not become its own yardstick. With no vacuum on
// the queue tables in the whole run (autovacuum off or starved from the
// start) there is no level between vacuums, and it is 0.
func (sc *scene) deadPeak() float64 {
	return sc.cached("dead_peak", func() float64 {
		vacuumed := false
		for i := range sc.frames {
			if f := &sc.frames[i]; sc.isMeasuredFrame(f) && (f.Vacuums > 0 || f.Vacuuming) {
				vacuumed = true
				break
			}
		}
		if !vacuumed {
			return 0
		}
		_, _, naptime, _ := sc.autovacuumSettings()
		size := max(int(math.Ceil(math.Max(2*naptime, sc.opts.MinWindowS)/sc.samplerStep())), 1)
		var maxima []float64
		cur, n := 0.0, 0
		for i := range sc.frames {
			f := &sc.frames[i]
			if !f.HasTables || !sc.isMeasuredFrame(f) {
				continue
			}
			cur = math.Max(cur, f.DeadTup)
			if n++; n == size {
				maxima = append(maxima, cur)
				cur, n = 0, 0
			}
		}
		return quantile(maxima, 0.25)
	})
}
