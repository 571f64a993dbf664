package results

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pgqtune/pgqtune/report"
	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/units"
)

// HistoryEntry is one run in `pgqtune history`.
type HistoryEntry struct {
	ID              string    `json:"id"`
	Dir             string    `json:"dir,omitempty"`
	StartedAt       time.Time `json:"started_at"`
	Mode            string    `json:"mode"`
	Scenario        string    `json:"scenario"`
	ServerVersion   string    `json:"server_version"`
	Target          string    `json:"target,omitempty"`
	Baseline        float64   `json:"jobs_per_s_baseline"`
	Mean            float64   `json:"jobs_per_s_mean"`
	P99Ms           float64   `json:"p99_ms"`
	Findings        int       `json:"findings"`
	Causes          []string  `json:"causes,omitempty"`
	Recommendations int       `json:"recommendations"`
	// Status is "" for a complete run, else why it has no usable report
	// ("no report": interrupted before the report; "invalid report: ...").
	Status string `json:"status,omitempty"`
}

// EntryOf summarizes a report for history.
func EntryOf(rep *runrec.Report, dir string) HistoryEntry {
	e := HistoryEntry{
		ID: rep.Run.ID, Dir: dir, StartedAt: rep.Run.StartedAt.UTC(), Mode: rep.Run.Mode, Scenario: rep.Run.Scenario,
		ServerVersion: rep.Run.ServerVersion, Target: rep.Run.Target, Baseline: rep.Throughput.Baseline,
		Mean: rep.Throughput.Mean, P99Ms: rep.Throughput.LatencyMs.P99, Findings: len(rep.Findings),
		Recommendations: len(rep.Recommendations),
	}
	for _, f := range rep.Findings {
		if !slices.Contains(e.Causes, f.Cause) {
			e.Causes = append(e.Causes, f.Cause)
		}
	}
	return e
}

// History lists the run directories directly under root, newest first. A
// directory with run.json but no readable report.json (a run that was
// interrupted before its report) is listed with its Status; directories
// that are not runs are skipped. A missing root is an empty history.
func History(root string) ([]HistoryEntry, error) {
	entries, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("report: history of %s: %w", root, err)
	}
	var out []HistoryEntry
	for _, de := range entries {
		if !de.IsDir() {
			continue
		}
		dir := filepath.Join(root, de.Name())
		rep, err := report.Load(dir)
		if err == nil {
			out = append(out, EntryOf(rep, dir))
			continue
		}
		var meta runrec.Meta
		if merr := runrec.ReadJSON(filepath.Join(dir, runrec.MetaFile), &meta); merr != nil {
			continue // not a run directory
		}
		status := "no report"
		if !errors.Is(err, os.ErrNotExist) {
			status = "invalid report"
		}
		out = append(out, HistoryEntry{ID: cmp.Or(meta.ID, de.Name()), Dir: dir, StartedAt: meta.StartedAt.UTC(), Mode: meta.Mode,
			Scenario: meta.Scenario, ServerVersion: meta.ServerVersion, Target: meta.Target, Status: status})
	}
	sortHistory(out)
	return out, nil
}

func sortHistory(h []HistoryEntry) {
	slices.SortStableFunc(h, func(a, b HistoryEntry) int {
		return cmp.Or(b.StartedAt.Compare(a.StartedAt), strings.Compare(a.ID, b.ID))
	})
}

// WriteHistory prints entries as a table: date, run, scenario, server,
// jobs/s, p99, findings.
func WriteHistory(w io.Writer, entries []HistoryEntry) error {
	if len(entries) == 0 {
		_, err := io.WriteString(w, "no runs\n")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DATE (UTC)\tRUN\tMODE\tSCENARIO\tPOSTGRES\tJOBS/S MEAN\tBASELINE\tP99 MS\tFINDINGS\tRECS")
	for _, e := range entries {
		findings := fmt.Sprint(e.Findings)
		if len(e.Causes) > 0 {
			findings += " (" + strings.Join(e.Causes, ", ") + ")"
		}
		mean, base, p99, recs := units.Num(e.Mean), units.Num(e.Baseline), units.Num(e.P99Ms), fmt.Sprint(e.Recommendations)
		if e.Status != "" {
			mean, base, p99, findings, recs = "-", "-", "-", e.Status, "-"
		}
		server := shortVersion(e.ServerVersion)
		if t := shortTarget(e.Target); t != "" {
			server += " " + t
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.StartedAt.Format("2006-01-02 15:04"), e.ID, e.Mode,
			e.Scenario, server, mean, base, p99, findings, recs)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("report: write history: %w", err)
	}
	return nil
}

// shortVersion is the version number alone ("15.18" of "15.18 (Debian
// 15.18-0+deb12u1)").
func shortVersion(v string) string {
	if f := strings.Fields(v); len(f) > 0 {
		return f[0]
	}
	return "?"
}

// shortTarget keeps a history row narrow: the throwaway cluster's random
// port says nothing a week later.
func shortTarget(t string) string {
	if strings.HasPrefix(t, "throwaway") {
		return "(throwaway)"
	}
	return t
}
