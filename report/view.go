package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pgqtune/pgqtune/compare"
	"github.com/pgqtune/pgqtune/runrec"
)

// view is what both templates render: the report plus what is derived from
// it and from the recorded run.
type view struct {
	Rep        *runrec.Report
	Run        *runrec.Run
	TL         *timeline
	Start      time.Time
	Duration   time.Duration
	Findings   []findingView
	Recs       []recView
	Statements []runrec.StatementStat
	Settings   []kv
	Workload   []kv
	Operations []opView
	// Charts are filled for HTML only.
	Charts []chart
	// Previous compares this run with the one before it in the same
	// results root (nil when there is none).
	Previous *compare.Comparison
}

type kv struct{ Key, Value string }

type findingView struct {
	runrec.Finding
	// Offset is the window's start from the run's start.
	Offset, Length time.Duration
	RecIDs         []string
}

type recView struct {
	runrec.Recommendation
}

type opView struct {
	Name string
	runrec.Percentiles
}

// CountUnit is what an operation's count counts: the driver times
// enqueue, dequeue and complete per round trip (a call may carry a batch of
// jobs), queue_wait and end_to_end per job.
func (o opView) CountUnit() string {
	switch o.Name {
	case "queue_wait", "end_to_end":
		return "jobs"
	}
	return "calls"
}

// maxStatements bounds the per-query table: the long tail is noise to a
// reader and is still in the samples.
const maxStatements = 10

// buildView prepares rep for rendering, with the comparison with an earlier
// run when opts gives one.
func buildView(rep *runrec.Report, run *runrec.Run, opts Options) *view {
	v := &view{Rep: rep, Run: run, TL: buildTimeline(rep, run), Previous: opts.Previous}
	v.Start = rep.Run.StartedAt
	if v.Start.IsZero() && len(v.TL.T) > 0 {
		v.Start = v.TL.T[0]
	}
	if !rep.Run.EndedAt.IsZero() && !v.Start.IsZero() {
		v.Duration = rep.Run.EndedAt.Sub(v.Start).Round(time.Second)
	}
	recsFor := map[string][]string{}
	for _, r := range rep.Recommendations {
		for _, f := range r.FindingIDs {
			recsFor[f] = append(recsFor[f], r.ID)
		}
		v.Recs = append(v.Recs, recView{r})
	}
	for _, f := range rep.Findings {
		fv := findingView{Finding: f, RecIDs: recsFor[f.ID]}
		if !v.Start.IsZero() {
			fv.Offset = f.Start.Sub(v.Start).Round(time.Second)
		}
		fv.Length = f.End.Sub(f.Start).Round(time.Second)
		v.Findings = append(v.Findings, fv)
	}
	v.Statements = topStatements(runrec.StatementStats(run))
	for _, k := range slices.Sorted(maps.Keys(rep.Run.Settings)) {
		v.Settings = append(v.Settings, kv{k, rep.Run.Settings[k]})
	}
	wl := plainJSON(rep.Run.Workload)
	for _, k := range slices.Sorted(maps.Keys(wl)) {
		v.Workload = append(v.Workload, kv{k, formatAny(k, wl[k])})
	}
	for _, name := range slices.SortedFunc(maps.Keys(rep.Throughput.Operations), opOrder) {
		v.Operations = append(v.Operations, opView{name, rep.Throughput.Operations[name]})
	}
	return v
}

// topStatements keeps the statements that matter to a reader: at most
// maxStatements, each with at least runrec.MinStatementShare of the total time
// (setup and catalog queries of a few microseconds are noise).
func topStatements(all []runrec.StatementStat) []runrec.StatementStat {
	var total float64
	for _, s := range all {
		total += s.TotalExecMs
	}
	var out []runrec.StatementStat
	for _, s := range all {
		if len(out) == maxStatements || (total > 0 && s.TotalExecMs < total*runrec.MinStatementShare) {
			break
		}
		out = append(out, s)
	}
	return out
}

// opOrder puts a job's operations in the order a job goes through them.
func opOrder(a, b string) int {
	rank := func(s string) int {
		if i := slices.Index([]string{"enqueue", "dequeue", "complete", "queue_wait", "end_to_end"}, s); i >= 0 {
			return i
		}
		return 99
	}
	return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b))
}

// formatAny prints a workload value from run.json as a DBA writes it: a
// size range as "200 B" or "100 B–4 KiB", lists comma-separated, a run of
// identical phase profiles once with its count, reloptions as
// "table: opt=v, ..." (or "none"), maps as "key=value" pairs, booleans on
// and off. key is the workload key (its meaning picks the format).
func formatAny(key string, v any) string {
	switch key {
	case "payload_bytes":
		if m, ok := v.(map[string]any); ok {
			lo, hi := numField(m, "min"), numField(m, "max")
			if lo == hi {
				return fmtBytes(lo)
			}
			return fmtBytes(lo) + "–" + fmtBytes(hi)
		}
	case "profiles":
		if l, ok := v.([]any); ok && len(l) > 1 && allSame(l) {
			return fmt.Sprintf("%s (all %d phases)", formatAny("", l[0]), len(l))
		}
		if l, ok := v.([]any); ok {
			parts := make([]string, len(l))
			for i, e := range l {
				parts[i] = formatAny("", e)
			}
			return strings.Join(parts, " → ")
		}
	case "reloptions":
		if m, ok := v.(map[string]any); ok {
			var parts []string
			for _, k := range slices.Sorted(maps.Keys(m)) {
				if opts := formatAny("", m[k]); opts != "" {
					parts = append(parts, k+": "+opts)
				}
			}
			if len(parts) == 0 {
				return "none (defaults)"
			}
			return strings.Join(parts, "; ")
		}
	}
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return fmtNum(x)
	case bool:
		if x {
			return "on"
		}
		return "off"
	case nil:
		return ""
	case map[string]any:
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(x)) {
			parts = append(parts, k+"="+formatAny(k, x[k]))
		}
		return strings.Join(parts, ", ")
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = formatAny("", e)
		}
		return strings.Join(parts, ", ")
	default:
		return fmt.Sprint(x)
	}
}

// plainJSON is m as report.json holds it (numbers float64, structs maps,
// slices []any): a report built in memory prints as one read from disk.
func plainJSON(m map[string]any) map[string]any {
	b, err := json.Marshal(m)
	if err != nil {
		return m
	}
	var out map[string]any
	if json.Unmarshal(b, &out) != nil {
		return m
	}
	return out
}

// numField reads a number from m by key, whatever its case ("Min" or "min").
func numField(m map[string]any, key string) float64 {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			if f, ok := v.(float64); ok {
				return f
			}
		}
	}
	return 0
}

// allSame reports whether every element of l prints the same.
func allSame(l []any) bool {
	for _, e := range l[1:] {
		if fmt.Sprint(e) != fmt.Sprint(l[0]) {
			return false
		}
	}
	return true
}

// keySettings are the server settings that decide how a queue behaves,
// shown before the full list: memory, WAL and checkpoints, autovacuum,
// timeouts that bound lock and xmin trouble.
var keySettings = []string{
	"shared_buffers", "work_mem", "maintenance_work_mem", "effective_cache_size", "max_connections",
	"synchronous_commit", "wal_level", "wal_compression", "max_wal_size", "min_wal_size",
	"checkpoint_timeout", "checkpoint_completion_target",
	"autovacuum", "autovacuum_naptime", "autovacuum_max_workers", "autovacuum_vacuum_scale_factor",
	"autovacuum_vacuum_threshold", "autovacuum_vacuum_insert_scale_factor", "autovacuum_vacuum_cost_delay",
	"autovacuum_vacuum_cost_limit", "vacuum_cost_limit", "random_page_cost",
	"idle_in_transaction_session_timeout", "statement_timeout", "lock_timeout", "hot_standby_feedback",
	"max_prepared_transactions", "fsync",
}

// KeySettings are the recorded keySettings, in that order.
func (v *view) KeySettings() []kv {
	var out []kv
	for _, k := range keySettings {
		if val, ok := v.Rep.Run.Settings[k]; ok {
			out = append(out, kv{k, val})
		}
	}
	return out
}

// Title is the report's heading.
func (v *view) Title() string {
	s := "pgqtune report"
	if v.Rep.Run.Scenario != "" {
		s += ": " + v.Rep.Run.Scenario
	}
	return s
}

// FindingCauses lists the distinct causes, in finding order.
func (v *view) FindingCauses() string {
	var seen []string
	for _, f := range v.Rep.Findings {
		if !slices.Contains(seen, f.Cause) {
			seen = append(seen, f.Cause)
		}
	}
	return strings.Join(seen, ", ")
}

// ScenarioYAML is the scenario as the run used it, when recorded.
func (v *view) ScenarioYAML() string {
	if v.Run == nil {
		return ""
	}
	return v.Run.Meta.ScenarioYAML
}

// LatencyMeasured is false when the run has no latency figures.
func (v *view) LatencyMeasured() bool { return v.Rep.Throughput.LatencyMs.Measured() }

// PrevDelta is a figure of the comparison with the previous run.
func (v *view) PrevDelta(name string) *compare.Delta {
	if v.Previous == nil {
		return nil
	}
	if d, ok := v.Previous.Delta(name); ok {
		return &d
	}
	return nil
}

// PrevWorse says whether a delta went the wrong way by more than 5%.
func (v *view) PrevWorse(d *compare.Delta) bool {
	if d == nil {
		return false
	}
	ch := float64(d.ChangePct)
	if d.HigherIsBetter {
		return ch < -5
	}
	return ch > 5
}

// PrevRows are the figures the "compared with the previous run" section
// shows.
func (v *view) PrevRows() []compare.Delta {
	var out []compare.Delta
	for _, name := range []string{"mean completed", "baseline", "p50", "p99"} {
		if d := v.PrevDelta(name); d != nil {
			out = append(out, *d)
		}
	}
	return out
}
