package report

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/pgqtune/pgqtune/compare"
)

// WriteComparison prints a comparison (compare.Compare) for a terminal or a
// CI log; the verdict is the last line.
func WriteComparison(w io.Writer, c *compare.Comparison) error {
	var b strings.Builder
	fmt.Fprintf(&b, "base  %s  (%s)\nnew   %s  (%s)\n", c.BaseID, c.BaseDir, c.NewID, c.NewDir)
	for _, why := range c.Incomparable {
		fmt.Fprintf(&b, "warning: not comparable, compared anyway: %s\n", why)
	}
	section := func(title string, ds []compare.Delta) {
		fmt.Fprintf(&b, "%-28s %10s %10s %9s\n", title, "base", "new", "change")
		for _, d := range ds {
			fmt.Fprintf(&b, "  %-26s %10s %10s %9s\n", d.Name+" ("+d.Unit+")", fmtNum(d.Base), fmtNum(d.New), fmtSignedPct(float64(d.ChangePct)))
		}
	}
	b.WriteString("\n")
	section("throughput", c.Throughput)
	section("latency", c.Latency)
	if len(c.BaseSeries) > 0 && len(c.NewSeries) > 0 {
		// One scale for both, so a drop in NEW looks like one.
		lo, hi := 0.0, math.Max(maxOf(c.BaseSeries), maxOf(c.NewSeries))
		fmt.Fprintf(&b, "\ncompleted/s per second (same scale, 0 … %s)\n", fmtNum(hi))
		fmt.Fprintf(&b, "  base  %s\n  new   %s\n", sparkScaled(buckets(c.BaseSeries, sparkWidth), lo, hi), sparkScaled(buckets(c.NewSeries, sparkWidth), lo, hi))
	}
	for _, t := range c.Tests {
		fmt.Fprintf(&b, "\n%s: %d vs %d seconds\n", t.Series, t.NBase, t.NNew)
		fmt.Fprintf(&b, "  mean %s (bootstrap 95%% CI %s..%s)\n", fmtSignedPct(float64(t.MeanChangePct)), fmtSignedPct(float64(t.CILowPct)), fmtSignedPct(float64(t.CIHighPct)))
		fmt.Fprintf(&b, "  Mann-Whitney U: p%s (z=%.2f); significant: %s; tolerance %s%%\n", compare.FormatP(t.Change.P), t.Change.Z, yesNo(t.Significant), fmtNum(t.TolerancePct))
	}
	if l := c.Latency99; l != nil {
		b.WriteString("\njobs slower than BASE's p99 + tolerance (the latency gate)\n")
		if l.Note != "" {
			fmt.Fprintf(&b, "  not tested: %s\n", l.Note)
		} else {
			fmt.Fprintf(&b, "  threshold %s ms (p99 %s ms + %s%%): base %d of %d jobs (%s%%), new %d of %d (%s%%)\n",
				fmtNum(l.ThresholdMs), fmtNum(l.BaseP99Ms), fmtNum(l.TolerancePct), l.BaseSlow, l.BaseJobs, fmtNum(l.BaseSharePct()),
				l.NewSlow, l.NewJobs, fmtNum(l.NewSharePct()))
			fmt.Fprintf(&b, "  two-proportion z=%.2f p%s; significant: %s; p99 %s\n", l.Z, compare.FormatP(l.P), yesNo(l.Significant), fmtSignedPct(float64(l.ChangePct)))
		}
	}
	if len(c.Queries) > 0 {
		b.WriteString("\nper-query time (mean ms per call)\n")
		qw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintf(qw, "  base\tnew\tchange\tcalls base/new\tstatement\n")
		for _, q := range c.Queries {
			fmt.Fprintf(qw, "  %s\t%s\t%s\t%d/%d\t%s\n", msOrDash(q.BaseMeanMs, q.BaseCalls), msOrDash(q.NewMeanMs, q.NewCalls),
				fmtSignedPct(float64(q.MeanChangePct)), q.BaseCalls, q.NewCalls, statementLabel(q.Tag, q.Text, 90))
		}
		_ = qw.Flush()
	}
	if len(c.Phases) > 0 {
		b.WriteString("\nphases (jobs/s, drop, recovery)\n")
		pw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintf(pw, "  phase\tpressure\tbase\tnew\tbase drop\tnew drop\tbase recovery\tnew recovery\n")
		for _, p := range c.Phases {
			fmt.Fprintf(pw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, cmp.Or(p.Pressure, "-"), fmtNum(p.BaseJobsPerS), fmtNum(p.NewJobsPerS),
				fmtPct(p.BaseDropPct), fmtPct(p.NewDropPct), secsOrDash(p.BaseRecoveryS), secsOrDash(p.NewRecoveryS))
		}
		_ = pw.Flush()
	}
	b.WriteString("\nfindings\n")
	fmt.Fprintf(&b, "  base: %s\n  new:  %s\n", listOrNone(c.BaseFindings), listOrNone(c.NewFindings))
	if len(c.SettingsChanged) > 0 {
		b.WriteString("\nsettings changed\n")
		for _, s := range c.SettingsChanged {
			fmt.Fprintf(&b, "  %s\n", s)
		}
	}
	fmt.Fprintf(&b, "\n%s\n", c.Verdict)
	_, err := io.WriteString(w, b.String())
	return err
}

func msOrDash(ms float64, calls int64) string {
	if calls == 0 {
		return "-"
	}
	return fmtNum(ms)
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, "; ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// statementLabel is a statement's tag (its /* name */), when it has one,
// followed by as much of its text as fits.
func statementLabel(tag, text string, width int) string {
	if tag == "" {
		return oneLineText(text, width)
	}
	return oneLineText("["+tag+"] "+text, width)
}

func secsOrDash(s *float64) string {
	if s == nil {
		return "-"
	}
	return fmtNum(*s) + " s"
}

func maxOf(s []float64) float64 {
	m := 0.0
	for _, v := range s {
		if !math.IsNaN(v) {
			m = math.Max(m, v)
		}
	}
	return m
}
