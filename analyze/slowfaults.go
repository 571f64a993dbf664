package analyze

import (
	"fmt"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat"

	"github.com/pgqtune/pgqtune/runrec"
)

// The faults in this file act slowly: autovacuum off or starved on a queue
// table, and checkpoints forced by a max_wal_size too small for the WAL
// rate. In a short run on a fast disk neither cuts throughput yet, so their
// whole_run findings say how fast they grow and what they cost, which is
// what makes them worth fixing before they bite.

// deadGrowth is how fast a queue table's dead tuples grew over a window,
// and when, at that rate, the claim will cost twice what it costs now.
type deadGrowth struct {
	Table string
	// PerMin is the least-squares slope of n_dead_tup over time.
	PerMin float64
	// DoubleInS is how long until the claim's cost per call doubles at
	// that rate, from the claim's cost regressed on the dead tuples in the
	// run; 0 when the run cannot tell (Why says why).
	DoubleInS float64
	Why       string
	Cost      claimCost
}

// deadGrowthOver measures deadGrowth on table over the frames of w.
func (sc *scene) deadGrowthOver(w *window, table string) deadGrowth {
	g := deadGrowth{Table: table}
	var ts, ds []float64
	for _, f := range sc.windowFrames(w) {
		for _, t := range sc.samples[f.sampleIndex].Tables {
			if t.Relation == table {
				ts = append(ts, f.T.Sub(sc.tl.T0).Seconds())
				ds = append(ds, float64(t.DeadTup))
			}
		}
	}
	if len(ts) < 3 || stat.Variance(ts, nil) == 0 {
		g.Why = "too few samples"
		return g
	}
	_, slope := stat.LinearRegression(ts, ds, nil, false)
	g.PerMin = slope * 60
	// Buffers per claim first; when they stayed flat, the claim's time
	// may still have grown with the dead tuples.
	g.Cost = sc.claimCostOver(sc.windowFrames(w))
	if g.Cost.Corr < 0.5 {
		if m := sc.claimCostIn(sc.windowFrames(w), "ms"); m.Signal != "" && m.Corr > g.Cost.Corr {
			g.Cost = m
		}
	}
	c := g.Cost
	now := c.Alpha + c.Beta*c.DeadLast
	switch {
	case slope <= 0:
		g.Why = "dead tuples did not grow"
	case c.Signal == "":
		g.Why = "the run recorded no claim statement to measure"
	case c.N < 5 || c.Corr < 0.5 || c.Beta <= 0 || now <= 0:
		g.Why = fmt.Sprintf("the claim's cost per call did not grow with the dead tuples in this run (%s per call %s -> %s, correlation %.2f)",
			c.unit(), num3(c.Base), num3(c.Late), c.Corr)
	default:
		// cost = alpha + beta*dead doubles when dead grows by now/beta.
		g.DoubleInS = now / c.Beta / slope
	}
	return g
}

// evidence states the growth and the doubling time.
func (g deadGrowth) evidence() runrec.Evidence {
	d := fmt.Sprintf("dead tuples on %s grew %s a minute", g.Table, num(g.PerMin))
	if g.DoubleInS > 0 {
		d += fmt.Sprintf("; the claim's cost per call rose %s %s per 1,000 dead tuples (correlation %.2f), so at this rate it doubles in %s",
			num3(1000*g.Cost.Beta), g.Cost.unit(), g.Cost.Corr, dur(g.DoubleInS))
	} else {
		d += "; when the claim's cost will double cannot be told: " + g.Why
	}
	return runrec.Evidence{Signal: "pg_stat_user_tables.n_dead_tup_per_min", Value: round(g.PerMin, 1), Detail: d}
}

// phrase is the summary's clause.
func (g deadGrowth) phrase() string {
	s := fmt.Sprintf("%s dead tuples a minute", num(g.PerMin))
	if g.DoubleInS > 0 {
		s += fmt.Sprintf("; at this rate the claim's cost doubles in %s", dur(g.DoubleInS))
	}
	return s
}

// num3 formats small numbers with up to three significant decimals.
func num3(x float64) string {
	if x >= 100 || x <= -100 {
		return num(x)
	}
	return strconv.FormatFloat(round(x, 3), 'f', -1, 64)
}

// checkpointCost quantifies a checkpoint storm over a window: how often
// checkpoints were requested against timed ones, the WAL rate against
// max_wal_size, and the WAL and writes beyond the baseline's.
type checkpointCost struct {
	Requested, Timed float64
	Secs             float64
	WALPerS          float64 // in the window
	BaseWALPerS      float64
	ExtraWAL         float64 // bytes beyond the baseline rate
	FPIShare         float64
	BaseFPIShare     float64
	BuffersWritten   float64 // by checkpoints in the window
	// FPIBytes bounds the WAL spent on full-page images (8 kB each at
	// most): with a storm covering the whole run there is no baseline to
	// take the extra from, and this is what forced checkpoints add.
	FPIBytes    float64
	ExtraWrites float64 // bytes beyond the baseline's checkpoint writes
	MaxWALSize  float64 // bytes, 0 unknown
	TimeoutS    float64
	// CompletionTarget is checkpoint_completion_target: Postgres requests
	// a checkpoint once the WAL since the last one reaches about
	// max_wal_size / (1 + it).
	CompletionTarget float64
}

// walPerCheckpoint is the WAL that triggers a checkpoint by volume.
func (c checkpointCost) walPerCheckpoint() float64 {
	return c.MaxWALSize / (1 + c.CompletionTarget)
}

// checkpointCostOver measures checkpointCost over w.
func (sc *scene) checkpointCostOver(w *window) checkpointCost {
	c := checkpointCost{Secs: sc.seconds(w)}
	walHas := func(f *frame) bool { return f.HasWAL }
	ckHas := func(f *frame) bool { return f.HasCkpt }
	var wal, recs, fpi, bufs float64
	for _, f := range sc.windowFrames(w) {
		if f.HasCkpt {
			c.Requested += f.CkptReq * f.intervalSecs
			c.Timed += f.CkptTimed * f.intervalSecs
			bufs += f.CkptBuffers * f.intervalSecs
		}
		if f.HasWAL {
			wal += f.WALBytes * f.intervalSecs
			recs += f.WALRecords * f.intervalSecs
			fpi += f.WALFPI * f.intervalSecs
		}
	}
	c.BuffersWritten = bufs
	c.FPIBytes = fpi * 8192
	c.WALPerS = wal / c.Secs
	c.BaseWALPerS = sc.baseMedian("wal_bytes", walHas, func(f *frame) float64 { return f.WALBytes })
	c.ExtraWAL = max(0, wal-c.BaseWALPerS*c.Secs)
	if recs > 0 {
		c.FPIShare = fpi / recs
	}
	c.BaseFPIShare = sc.baseMedian("fpi_share", func(f *frame) bool { return f.HasWAL && f.WALRecords > 0 },
		func(f *frame) float64 { return f.WALFPI / f.WALRecords })
	baseBufs := sc.baseMean("ckpt_buffers", ckHas, func(f *frame) float64 { return f.CkptBuffers }) * c.Secs
	c.ExtraWrites = max(0, bufs-baseBufs) * 8192
	if v, ok := sc.setting("max_wal_size"); ok {
		c.MaxWALSize = parseBytes(v)
	}
	c.TimeoutS, c.CompletionTarget = 300, 0.9
	if v, ok := sc.setting("checkpoint_completion_target"); ok {
		c.CompletionTarget = parseFloat(v, 0.9)
	}
	if v, ok := sc.setting("checkpoint_timeout"); ok {
		c.TimeoutS = parseSeconds(v, 300)
	}
	return c
}

// evidence lists what the storm cost.
func (c checkpointCost) evidence() []runrec.Evidence {
	var ev []runrec.Evidence
	ev = append(ev, runrec.Evidence{Signal: "checkpoints.requested_vs_timed", Value: c.Requested, Baseline: ptr(c.Timed),
		Detail: fmt.Sprintf("%s checkpoints requested and %s timed in %s: one every %s where checkpoint_timeout allows one every %s",
			num(c.Requested), num(c.Timed), dur(c.Secs), dur(c.Secs/max(c.Requested, 1)), dur(c.TimeoutS))})
	if c.MaxWALSize > 0 && c.WALPerS > 0 {
		need := c.WALPerS * c.TimeoutS
		d := fmt.Sprintf("WAL ran at %s/s: a checkpoint_timeout of %s makes %s of WAL, where max_wal_size %s requests a checkpoint after about %s",
			bytesStr(c.WALPerS), dur(c.TimeoutS), bytesStr(need), bytesStr(c.MaxWALSize), bytesStr(c.walPerCheckpoint()))
		if need > c.walPerCheckpoint() {
			d += fmt.Sprintf(", so WAL volume, not the timer, triggers checkpoints (max_wal_size of about %s would let the timer do it)",
				bytesStr(need*(1+c.CompletionTarget)))
		}
		ev = append(ev, runrec.Evidence{Signal: "wal.bytes_per_checkpoint_timeout", Value: round(need, 0), Baseline: ptr(c.MaxWALSize), Detail: d})
	}
	ev = append(ev, runrec.Evidence{Signal: "checkpoints.write_bytes", Value: c.BuffersWritten * 8192,
		Detail: fmt.Sprintf("checkpoints wrote %s (%s buffers) in %s; full-page images took up to %s of the %s of WAL",
			bytesStr(c.BuffersWritten*8192), num(c.BuffersWritten), dur(c.Secs), bytesStr(min(c.FPIBytes, c.WALPerS*c.Secs)), bytesStr(c.WALPerS*c.Secs))})
	if c.ExtraWAL > 0 || c.ExtraWrites > 0 {
		ev = append(ev, runrec.Evidence{Signal: "wal.extra_bytes", Value: round(c.ExtraWAL, 0), Baseline: ptr(round(c.BaseWALPerS*c.Secs, 0)),
			Detail: fmt.Sprintf("%s of WAL beyond the baseline rate (%s/s against %s/s; full-page images %.0f%% of records, baseline %.0f%%) and %s written by checkpoints beyond the baseline's",
				bytesStr(c.ExtraWAL), bytesStr(c.WALPerS), bytesStr(c.BaseWALPerS), 100*c.FPIShare, 100*c.BaseFPIShare, bytesStr(c.ExtraWrites))})
	}
	return ev
}

// phrase is the summary's clause on what the storm cost.
func (c checkpointCost) phrase() string {
	s := fmt.Sprintf("checkpoints wrote %s and full-page images took up to %s of WAL in %s",
		bytesStr(c.BuffersWritten*8192), bytesStr(min(c.FPIBytes, c.WALPerS*c.Secs)), dur(c.Secs))
	if c.ExtraWAL > 0 || c.ExtraWrites > 0 {
		s += fmt.Sprintf(" (%s of WAL and %s of writes beyond the baseline's)", bytesStr(c.ExtraWAL), bytesStr(c.ExtraWrites))
	}
	if c.MaxWALSize > 0 && c.WALPerS*c.TimeoutS > c.walPerCheckpoint() {
		s += fmt.Sprintf("; max_wal_size %s is too small for %s/s of WAL", bytesStr(c.MaxWALSize), bytesStr(c.WALPerS))
	}
	return s
}

// parseBytes parses a pg_settings size ("1GB", "64MB", or a number of
// megabytes as max_wal_size reports it without a unit).
func parseBytes(v string) float64 {
	v = strings.TrimSpace(v)
	units := []struct {
		suffix string
		mul    float64
	}{{"kB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"TB", 1 << 40}, {"B", 1}}
	for _, u := range units {
		if strings.HasSuffix(v, u.suffix) {
			return parseFloat(strings.TrimSuffix(v, u.suffix), 0) * u.mul
		}
	}
	return parseFloat(v, 0) * (1 << 20)
}
