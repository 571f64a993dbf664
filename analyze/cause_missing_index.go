package analyze

import (
	"fmt"
	"sort"

	"github.com/pgqtune/pgqtune/runrec"
)

func init() { register(CauseMissingIndex, scoreMissingIndex) }

// scoreMissingIndex: sequential scans (and rows read) per dequeue on a
// queue table rose against baseline, or a queue table's index vanished.
func scoreMissingIndex(sc *scene, w *window) verdict {
	fr := sc.windowFrames(w)
	has := func(f *frame) bool { return f.HasTables }
	seq := func(f *frame) float64 { return f.SeqScan }
	rows := func(f *frame) float64 { return f.SeqTupRead }
	winSeq, ok := winMean(fr, has, seq)
	if !ok {
		return verdict{}
	}
	winRows, _ := winMean(fr, has, rows)
	baseSeq := sc.baseMean("seq_scan", has, seq)
	baseRows := sc.baseMean("seq_tup_read", has, rows)
	perOp := func(x, calls float64) float64 { return x / max(calls, 1) }
	winCalls, _ := winMean(fr, func(f *frame) bool { return f.HasClaim }, func(f *frame) float64 { return f.ClaimCalls })
	baseCalls := sc.baseMean("claim_calls", func(f *frame) bool { return f.HasClaim }, func(f *frame) float64 { return f.ClaimCalls })
	claimMeasured := winCalls > 0
	if winCalls == 0 {
		winCalls = max(w.WinRate, 1)
		baseCalls = max(sc.base.Rate, 1)
	}
	seqPer := perOp(winSeq, winCalls) - perOp(baseSeq, baseCalls)
	// Sequential scans of a table of a few pages are the planner's right
	// choice, not a missing index: they count as they read more rows.
	rowsPerScan := winRows / max(winSeq, 1)
	s1 := ramp(seqPer, 0.1, 0.6) * ramp(rowsPerScan, 100, 1000)
	s2 := ramp(ratio(perOp(winRows, winCalls), perOp(baseRows, baseCalls), 20), 3, 10) * ramp(winRows, 100, 1000)
	if claimMeasured {
		// A claim that lost its index scans the table on every call.
		// Scans far rarer than claims are someone else's (a maintenance
		// query, a report): River's periodic services read river_job
		// 0.32 times a second against dozens of claims a second, and
		// their rows alone made this the cause of a CPU hog's drop.
		s2 *= ramp(perOp(winSeq, winCalls), 0.05, 0.25)
	}
	gone := sc.vanishedIndexes(w)
	s3 := 0.0
	if len(gone) > 0 {
		s3 = 0.6
	}
	score := noisyOr(0.7*s1, 0.5*s2, s3*max(s1, s2))
	if score == 0 {
		return verdict{}
	}
	v := verdict{Score: score}
	if rel := sc.topSeqTable(w); rel != "" {
		v.Objects = append(v.Objects, rel)
	}
	v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "pg_stat_user_tables.seq_scan_per_s", Value: round(winSeq, 1), Baseline: ptr(round(baseSeq, 1)),
		Detail: fmt.Sprintf("%s sequential scans/s on queue tables reading %s rows/s (baseline %s scans/s, %s rows/s); %.2f scans per claim",
			num(winSeq), num(winRows), num(baseSeq), num(baseRows), perOp(winSeq, winCalls))})
	for _, ix := range gone {
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "pg_indexes.dropped", Detail: fmt.Sprintf("index %s on %s disappeared during the run: %s", ix.Index, ix.Relation, ix.Definition)})
		v.Objects = append(v.Objects, ix.Relation)
	}
	where := "the queue tables"
	if len(v.Objects) > 0 {
		where = v.Objects[0]
	}
	v.Summary = fmt.Sprintf("dequeues scan %s sequentially (%s seq scans/s, %s rows/s, baseline %s scans/s)", where, num(winSeq), num(winRows), num(baseSeq))
	if len(gone) > 0 {
		v.Summary += fmt.Sprintf(" after index %s disappeared", gone[0].Index)
	}
	return v
}

// topSeqTable is the queue table with the most sequential scans in w.
func (sc *scene) topSeqTable(w *window) string {
	m := map[string]int64{}
	for _, s := range sc.windowSamples(w) {
		for _, t := range s.Tables {
			if sc.q.isQueue(t.Relation) {
				m[t.Relation] += t.SeqScan
			}
		}
	}
	best, bn := "", int64(0)
	for r, n := range m {
		if n > bn || (n == bn && n > 0 && r < best) {
			best, bn = r, n
		}
	}
	return best
}

// vanishedIndexes lists queue-table indexes seen before the window and
// missing from every sample inside it.
func (sc *scene) vanishedIndexes(w *window) []runrec.IndexStats {
	before := map[string]runrec.IndexStats{}
	start := sc.startTime(w)
	for _, s := range sc.samples {
		if !s.T.Before(start) {
			break
		}
		for _, ix := range s.Indexes {
			if sc.q.isQueue(ix.Relation) {
				before[ix.Index] = ix
			}
		}
	}
	if len(before) == 0 {
		return nil
	}
	seen := map[string]bool{}
	any := false
	for _, s := range sc.windowSamples(w) {
		if len(s.Indexes) > 0 {
			any = true
		}
		for _, ix := range s.Indexes {
			seen[ix.Index] = true
		}
	}
	if !any {
		return nil
	}
	var out []runrec.IndexStats
	for name, ix := range before {
		if !seen[name] {
			out = append(out, ix)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Index < out[b].Index })
	return out
}
