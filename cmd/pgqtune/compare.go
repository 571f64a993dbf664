package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/pgqtune/pgqtune/compare"
	"github.com/pgqtune/pgqtune/report"
	"github.com/pgqtune/pgqtune/runrec"
)

func init() { register(newCompareCmd) }

func newCompareCmd() *cobra.Command {
	var o compare.Options
	var format string
	c := &cobra.Command{
		Use:   "compare BASE_RUN_DIR NEW_RUN_DIR",
		Short: "Compare two runs; exit 1 on a significant throughput or latency regression (a CI gate)",
		Long: `Compare NEW with BASE: throughput (mean and baseline), latency percentiles,
per-query time (pg_stat_statements, by normalized text), findings and changed
server settings.

A drop counts as a regression only when it is significant and larger than
--max-regression, so noise is not a regression: significant means a Mann-Whitney
U test on the per-second completed-jobs series sees a shift, or a bootstrap 95%
interval of the mean change excludes zero (a fault confined to part of the run).

Latency is gated too (--max-latency-regression, default 50%, 0 turns it off): a
regression when the overall p99 rose by more than that and significantly more
jobs than in BASE were slower than BASE's p99 plus the tolerance (two-proportion
z-test on jobs counted from the per-second percentiles). In an open-loop run a
stall shows there: the backlog is worked off afterwards and the mean rate
recovers.

Runs that measured different things (scenario, mode, workload settings such as
adapter, batch sizes or connections, or the server's major version) are refused
unless --allow-incomparable.

Exit codes: 0 no significant regression; 1 regression; 2 bad input or runs that
are not comparable.`,
		Example: `  pgqtune compare runs/main runs/pr-1234 --max-regression 10
  pgqtune compare 20261126-184744-baseline 20261126-185529-baseline   # ids under ./pgqtune-runs
  pgqtune compare runs/main runs/pr-1234 --format json > compare.json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !(o.MaxRegressionPct > 0 && o.MaxRegressionPct < 100) { // NaN fails too
				return usageErrorf("--max-regression must be a percentage between 0 and 100, got %g", o.MaxRegressionPct)
			}
			if !(o.MaxLatencyRegressionPct >= 0) || math.IsInf(o.MaxLatencyRegressionPct, 0) {
				return usageErrorf("--max-latency-regression must not be negative, got %g", o.MaxLatencyRegressionPct)
			}
			if !(o.Alpha > 0 && o.Alpha < 1) {
				return usageErrorf("--alpha must be a significance level between 0 and 1, got %g", o.Alpha)
			}
			if o.MaxLatencyRegressionPct == 0 {
				o.MaxLatencyRegressionPct = -1 // 0 on the command line turns the gate off
			}
			if format != "text" && format != "json" {
				return usageErrorf("--format must be text or json, got %q", format)
			}
			var runs [2]*compare.RunData
			for i, arg := range args {
				dir := resolveRunDir(arg)
				d, err := report.LoadRunDir(dir)
				if err != nil {
					return usageError(err)
				}
				runs[i] = d
			}
			res, err := compare.Compare(runs[0], runs[1], o)
			if errors.Is(err, compare.ErrIncomparable) {
				items := res.Incomparable
				if len(items) == 0 {
					return usageError(err)
				}
				return usageError(&listError{
					head:  fmt.Sprintf("the two runs measured different things, so they are not compared (%d difference%s; --allow-incomparable compares anyway):", len(items), plural(len(items))),
					items: items,
					err:   err,
				})
			}
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if format == "json" {
				err = res.WriteJSON(w)
			} else {
				err = report.WriteComparison(w, res)
			}
			if err != nil {
				return err
			}
			if res.Regression {
				return &exitError{code: exitFailure, err: fmt.Errorf("%s", res.Verdict)}
			}
			return nil
		},
	}
	f := c.Flags()
	f.Float64Var(&o.MaxRegressionPct, "max-regression", compare.DefaultMaxRegressionPct, "tolerated drop of mean throughput, in percent")
	f.Float64Var(&o.MaxLatencyRegressionPct, "max-latency-regression", compare.DefaultMaxLatencyRegressionPct, "fail when per-second p99 latency rises significantly by more than PCT (0: off)")
	f.Float64Var(&o.Alpha, "alpha", 0.05, "significance level of the tests")
	f.BoolVar(&o.AllowIncomparable, "allow-incomparable", false, "compare runs whose workload or server differ (with a warning)")
	f.StringVar(&format, "format", "text", "text or json")
	return c
}

// resolveRunDir lets a run be named by its id when it lives under the
// default results root: an existing path wins.
func resolveRunDir(arg string) string {
	if _, err := os.Stat(arg); err == nil {
		return arg
	}
	if alt := filepath.Join(runrec.DefaultRoot, arg); alt != arg {
		if _, err := os.Stat(alt); err == nil {
			return alt
		}
	}
	return arg
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
