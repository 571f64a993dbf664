package report

import (
	"cmp"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/pgqtune/pgqtune/runrec"
)

// Summary writes the short terminal summary `pgqtune run` prints when it
// finishes: throughput, latency, integrity, one line per finding, the
// number of recommendations and where the files are. dir may be "" when the
// report was not written to disk.
func Summary(w io.Writer, rep *runrec.Report, dir string) {
	r := runrec.Normalize(rep)
	var b strings.Builder
	title := "pgqtune " + cmp.Or(r.Run.Mode, "run")
	// An observed run's scenario is "observe" itself: say it once.
	if r.Run.Scenario != "" && r.Run.Scenario != r.Run.Mode {
		title += " · " + r.Run.Scenario
	}
	fmt.Fprintf(&b, "%s · %s", title, r.Run.ID)
	if !r.Run.EndedAt.IsZero() && !r.Run.StartedAt.IsZero() {
		fmt.Fprintf(&b, " · %s", fmtDur(r.Run.EndedAt.Sub(r.Run.StartedAt)))
	}
	if r.Run.ServerVersion != "" {
		fmt.Fprintf(&b, " · PostgreSQL %s", r.Run.ServerVersion)
	}
	b.WriteByte('\n')
	fmt.Fprintf(&b, "  throughput  %s %s baseline", fmtNum(r.Throughput.Baseline), r.Throughput.Unit)
	if r.Throughput.Mean > 0 {
		fmt.Fprintf(&b, ", %s mean", fmtNum(r.Throughput.Mean))
	}
	if ms := r.Throughput.MaxSustainable; ms != nil {
		fmt.Fprintf(&b, ", %s max sustainable", fmtNum(*ms))
	}
	b.WriteByte('\n')
	if l := r.Throughput.LatencyMs; l.Measured() {
		fmt.Fprintf(&b, "  latency     p50 %s  p95 %s  p99 %s  max %s\n", fmtMs(l.P50), fmtMs(l.P95), fmtMs(l.P99), fmtMs(l.Max))
	} else {
		b.WriteString("  latency     not measured\n")
	}
	if in := r.Integrity; in != nil {
		verdict := "ok"
		if in.Lost > 0 || in.Duplicated > 0 {
			verdict = "JOBS LOST OR DUPLICATED"
		}
		fmt.Fprintf(&b, "  integrity   %s: %d enqueued, %d completed, %d pending, %d lost, %d duplicated",
			verdict, in.Enqueued, in.Completed, in.Pending, in.Lost, in.Duplicated)
		if in.Redelivered > 0 {
			fmt.Fprintf(&b, ", %d redelivered (completed again after their claim expired)", in.Redelivered)
		}
		b.WriteByte('\n')
	}
	if len(r.Findings) == 0 {
		b.WriteString("  findings    none: no throughput drop found\n")
	} else {
		fmt.Fprintf(&b, "  findings    %d\n", len(r.Findings))
		for _, f := range r.Findings {
			fmt.Fprintf(&b, "    %-3s %-22s %s–%s  %s  %s\n", f.ID, f.Cause, fmtClock(f.Start), fmtClock(f.End),
				effect(f), oneLineText(f.Summary, 100))
		}
	}
	fmt.Fprintf(&b, "  recommendations %d", len(r.Recommendations))
	if len(r.Recommendations) > 0 {
		var ids []string
		for _, rc := range r.Recommendations {
			ids = append(ids, rc.ID+" "+rc.Kind)
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(ids, ", "))
	}
	b.WriteByte('\n')
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "  note: %s\n", oneLineText(n, 160))
	}
	if dir != "" {
		fmt.Fprintf(&b, "  report      %s\n", filepath.Join(dir, runrec.ReportHTML))
		fmt.Fprintf(&b, "              %s, %s\n", filepath.Join(dir, runrec.ReportMD), filepath.Join(dir, runrec.ReportJSON))
	}
	_, _ = io.WriteString(w, b.String())
}

// effect is a finding's effect in a few characters: the throughput drop,
// or its kind when throughput held (a latency rise, a slowdown, a trend).
func effect(f runrec.Finding) string {
	// A percent or two is noise: whole-run findings carry their window's
	// rate too.
	if f.ThroughputDropPct >= 5 || f.Kind == "" || f.Kind == runrec.FindingDrop {
		return "-" + fmtPct(f.ThroughputDropPct)
	}
	return f.Kind
}
