package report

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

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
	Statements []StatementStat
	Settings   []kv
	Workload   []kv
	Operations []opView
	// Charts are filled for HTML only.
	Charts []chart
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

// maxStatements bounds the per-query table: the long tail is noise to a
// reader and is still in the samples.
const maxStatements = 10

func buildView(rep *runrec.Report, run *runrec.Run) *view {
	v := &view{Rep: rep, Run: run, TL: buildTimeline(rep, run)}
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
	st := StatementStats(run)
	if len(st) > maxStatements {
		st = st[:maxStatements]
	}
	v.Statements = st
	for _, k := range slices.Sorted(maps.Keys(rep.Run.Settings)) {
		v.Settings = append(v.Settings, kv{k, rep.Run.Settings[k]})
	}
	for _, k := range slices.Sorted(maps.Keys(rep.Run.Workload)) {
		v.Workload = append(v.Workload, kv{k, formatAny(rep.Run.Workload[k])})
	}
	for _, name := range slices.SortedFunc(maps.Keys(rep.Throughput.Operations), opOrder) {
		v.Operations = append(v.Operations, opView{name, rep.Throughput.Operations[name]})
	}
	return v
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

func formatAny(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return fmtNum(x)
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
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
