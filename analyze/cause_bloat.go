package analyze

import (
	"fmt"

	"github.com/pgqtune/pgqtune/runrec"
)

func init() { register(CauseBloat, scoreBloat) }

// scoreBloat: each claim reads more pages than at baseline while the queue
// tables grew, and the extra reads are not sequential scans.
func scoreBloat(sc *scene, w *window) verdict {
	fr := sc.windowFrames(w)
	claim := func(f *frame) bool { return f.HasClaim }
	blks := func(f *frame) float64 { return f.ClaimBlks }
	winBlk, ok := winMean(fr, claim, blks)
	baseBlk := sc.baseMedian("claim_blks", claim, blks)
	s1 := 0.0
	if ok && baseBlk > 0 {
		s1 = ramp(winBlk/baseBlk, 1.5, 4)
	}
	tables := func(f *frame) bool { return f.HasTables && f.RelBytes > 0 }
	size := func(f *frame) float64 { return f.RelBytes }
	winSize := winMax(fr, tables, size)
	first := 0.0
	for i := range sc.frames {
		if f := &sc.frames[i]; tables(f) && sc.isMeasuredFrame(f) {
			first = f.RelBytes
			break
		}
	}
	s2 := 0.0
	if first > 0 {
		s2 = ramp(winSize/first, 1.3, 3)
	}
	// Sequential scans reading more pages are missing_index's case.
	seqW, _ := winMean(fr, func(f *frame) bool { return f.HasTables }, func(f *frame) float64 { return f.SeqScan })
	seqB := sc.baseMean("seq_scan", func(f *frame) bool { return f.HasTables }, func(f *frame) float64 { return f.SeqScan })
	if seqW > 2*seqB+1 {
		s1 *= 0.3
	}
	score := 0.65*s1 + 0.35*s2*max(s1, 0.5)
	// Dead tuples piling up right now are cleanup falling behind (xmin or
	// vacuum), of which bloat is only the lasting trace.
	dead, _ := sc.deadScore(sc.deadTuples(w.I0, w.I1+1))
	score *= 1 - 0.7*dead
	// Pages full of dead tuples vacuum has not reached yet are cleanup
	// lag; bloat is space that stays after vacuum, next to live rows.
	share, _ := winMean(fr, func(f *frame) bool { return f.HasTables && f.DeadTup+f.LiveTup > 0 },
		func(f *frame) float64 { return f.DeadTup / (f.DeadTup + f.LiveTup) })
	score *= 1 - ramp(share, 0.5, 0.95)
	if score == 0 {
		return verdict{}
	}
	v := verdict{Score: score}
	if sc.xminHolderScore(w) > 0 {
		// Pages that grew while a horizon was held hold the dead tuples
		// it keeps: when xmin_horizon shows that effect, it is the
		// cause, and this is its trace.
		v.YieldsTo = []string{CauseXmin}
	}
	if ok && baseBlk > 0 {
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "pg_stat_statements.claim_blocks_per_call", Value: round(winBlk, 1), Baseline: ptr(round(baseBlk, 1)),
			Detail: fmt.Sprintf("the claim statement touched %s shared blocks per call (baseline %s)", num(winBlk), num(baseBlk))})
	}
	if first > 0 {
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "relation_size_bytes", Value: winSize, Baseline: ptr(first),
			Detail: fmt.Sprintf("queue tables and their indexes grew from %s to %s", bytesStr(first), bytesStr(winSize))})
	}
	v.Objects = sc.q.Names
	v.Summary = fmt.Sprintf("each claim reads %s blocks (baseline %s) as the queue tables grew to %s", num(winBlk), num(baseBlk), bytesStr(winSize))
	return v
}

// isMeasuredFrame reports whether f's slot counts (not warm-up).
func (sc *scene) isMeasuredFrame(f *frame) bool {
	i := f.Slot - 1
	return i >= 0 && i < len(sc.tl.Slots) && sc.tl.Slots[i].Measured
}
