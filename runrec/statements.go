package runrec

import (
	"cmp"
	"slices"
	"strings"
)

// StatementStat is one normalized statement's totals over a run, summed from
// the sampler's pg_stat_statements deltas.
type StatementStat struct {
	// Text is the normalized statement without comments.
	Text string `json:"text"`
	// Tag is the statement's first block comment, which applications use
	// to name statements ("pgqtune skiplocked claim"), when it has one.
	Tag         string  `json:"tag,omitempty"`
	Calls       int64   `json:"calls"`
	TotalExecMs float64 `json:"total_exec_ms"`
	Rows        int64   `json:"rows"`
	BlksRead    int64   `json:"shared_blks_read"`
	WALBytes    int64   `json:"wal_bytes"`
}

// MeanMs is the mean execution time per call.
func (s StatementStat) MeanMs() float64 {
	if s.Calls == 0 {
		return 0
	}
	return s.TotalExecMs / float64(s.Calls)
}

// MinStatementShare is the smallest share of a run's total execution time
// a statement needs to be listed (in a report) or compared (by compare):
// setup and catalog queries of a few microseconds are noise.
const MinStatementShare = 0.005

// samplerMarker tags pgqtune's own sampling queries, which are not the
// workload and would only add noise to per-query tables.
const samplerMarker = "/* pgqtune */"

// StatementStats sums the run's statement deltas by normalized text (the
// same text from two users or databases is one row), the sampler's own
// queries excluded, largest total time first.
func StatementStats(run *Run) []StatementStat {
	if run == nil {
		return nil
	}
	texts := run.StatementTexts()
	by := map[string]*StatementStat{}
	for i := range run.Samples {
		for _, d := range run.Samples[i].Statements {
			text := texts[d.QueryID]
			if text == "" || strings.Contains(text, samplerMarker) {
				continue
			}
			key, tag := stripSQLComments(text)
			st := by[key]
			if st == nil {
				st = &StatementStat{Text: key, Tag: tag}
				by[key] = st
			}
			st.Calls += d.Calls
			st.TotalExecMs += d.TotalExecMs
			st.Rows += d.Rows
			st.BlksRead += d.SharedBlksRead
			st.WALBytes += d.WALBytes
		}
	}
	out := make([]StatementStat, 0, len(by))
	for _, st := range by {
		out = append(out, *st)
	}
	slices.SortFunc(out, func(a, b StatementStat) int {
		return cmp.Or(cmp.Compare(b.TotalExecMs, a.TotalExecMs), strings.Compare(a.Text, b.Text))
	})
	return out
}
