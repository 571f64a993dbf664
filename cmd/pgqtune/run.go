package main

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pgqtune/pgqtune/compare"
	"github.com/pgqtune/pgqtune/internal/pipeline"
	"github.com/pgqtune/pgqtune/report"
	"github.com/pgqtune/pgqtune/runrec"
)

func init() { register(newRunCmd) }

func newRunCmd() *cobra.Command {
	var o pipeline.RunOptions
	var quiet bool
	var failIf []string
	var exportDir string
	c := &cobra.Command{
		Use:   "run",
		Short: "Drive a queue workload, sample Postgres, find drops and their causes, write the report",
		Long: `Drive a job-queue workload (a built-in scenario or a YAML file) against Postgres
while sampling its statistics every second; then find throughput drops, name their
causes, recommend changes, and write report.json, report.md and report.html to the
run directory.

With no --dsn (and no PGQTUNE_DSN), a throwaway local cluster is started for the
run and removed afterwards. With --dsn, pgqtune creates its queue tables in its own
schema (--schema, default "pgqtune"), refuses a schema it did not create unless
--schema names it explicitly, and drops what it created at the end (unless --keep).

Flags override the scenario's values; the run records what it actually used.`,
		Example: `  pgqtune run                                  # baseline scenario, throwaway cluster, 30s
  pgqtune run --scenario resilience --duration 2m
  pgqtune run --dsn postgres://me@db.internal/app --scenario saturation
  pgqtune run --scenario ./my-queue.yaml --out ./runs/today
  pgqtune run --scenario baseline --export-pgbench ./pgbench   # only write pgbench scripts
  pgqtune run --fail-if 'p99>500ms' --fail-if 'jobs_per_s<800'   # CI: exit 1 when either holds`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			if !f.Changed("dsn") {
				o.DSN = os.Getenv("PGQTUNE_DSN")
			}
			o.SchemaExplicit = f.Changed("schema")
			if f.Changed("duration") && o.Duration <= 0 {
				return usageErrorf("--duration must be positive, got %s", o.Duration)
			}
			if f.Changed("rate") && o.Rate <= 0 {
				return usageErrorf("--rate must be positive, got %g", o.Rate)
			}
			if o.Interval < 100*time.Millisecond {
				return usageErrorf("--interval must be at least 100ms, got %s", o.Interval)
			}
			thresholds, err := parseThresholds(failIf)
			if err != nil {
				return err
			}
			if err := checkProgress(o.ProgressEvery); err != nil {
				return err
			}
			if !quiet {
				o.Progress = cmd.ErrOrStderr()
			}
			if exportDir != "" {
				if err := pipeline.ExportPgbench(o, exportDir); err != nil {
					return finish(cmd, nil, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "pgbench scripts written to %s\n", exportDir)
				return nil
			}
			out, err := pipeline.Run(cmd.Context(), o)
			if err := finish(cmd, out, err); err != nil {
				return err
			}
			if out == nil || out.Report == nil {
				return nil
			}
			return checkThresholds(cmd, thresholds, out.Report)
		},
	}
	f := c.Flags()
	f.StringVar(&o.DSN, "dsn", "", "target database (default $PGQTUNE_DSN; empty: a throwaway local cluster)")
	f.StringVar(&o.Scenario, "scenario", "baseline", "built-in scenario name (see 'pgqtune scenarios') or a YAML file")
	f.StringVar(&o.Adapter, "adapter", "", "queue adapter: skiplocked, pgmq, river or pgboss (overrides the scenario)")
	f.DurationVar(&o.Duration, "duration", 0, "how long to run (overrides the scenario; default 30s for baseline)")
	f.Float64Var(&o.Rate, "rate", 0, "target enqueue rate in jobs/s (overrides the scenario's rate)")
	f.IntVar(&o.Producers, "producers", 0, "producer connections (overrides the scenario)")
	f.IntVar(&o.Consumers, "consumers", 0, "consumer workers (overrides the scenario)")
	f.StringVar(&o.Out, "out", "", "run directory (default ./pgqtune-runs/<run-id>)")
	f.StringVar(&o.Schema, "schema", "pgqtune", "schema for pgqtune's queue tables on --dsn")
	f.BoolVar(&o.Keep, "keep", false, "keep pgqtune's schema and tables on --dsn after the run")
	f.DurationVar(&o.Interval, "interval", time.Second, "sampling interval")
	f.StringVar(&o.Store, "store", "", "also keep the report in this database's pgqtune_results schema (shared history)")
	f.StringVar(&o.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics on this address while running (e.g. :9187)")
	f.StringVar(&exportDir, "export-pgbench", "", "write the scenario's SQL as pgbench scripts to DIR and exit")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress lines")
	progressFlag(f, &o.ProgressEvery)
	f.StringArrayVar(&failIf, "fail-if", nil, "exit 1 when the finished run meets this condition, e.g. 'p99>500ms' or 'jobs_per_s<800' (repeatable; metrics: "+compare.ThresholdMetrics+")")
	return c
}

// parseThresholds reads every --fail-if before anything runs: a typo must
// not cost a whole run.
func parseThresholds(exprs []string) ([]compare.Threshold, error) {
	var out []compare.Threshold
	for _, e := range exprs {
		t, err := compare.ParseThreshold(e)
		if err != nil {
			return nil, usageErrorf("--fail-if %v", err)
		}
		out = append(out, t)
	}
	return out, nil
}

// checkThresholds prints each --fail-if verdict and returns exit code 1
// when any condition held, as a CI gate expects.
func checkThresholds(cmd *cobra.Command, ts []compare.Threshold, rep *runrec.Report) error {
	var failed []string
	for _, t := range ts {
		hit, got, err := t.Check(rep)
		if err != nil {
			return &exitError{code: exitFailure, err: err}
		}
		verdict := "ok"
		if hit {
			verdict = "FAILED"
			failed = append(failed, t.Describe(got))
		}
		fmt.Fprintf(cmd.OutOrStdout(), "fail-if %s: %s, %s\n", t.Expr, verdict, t.Describe(got))
	}
	if len(failed) > 0 {
		return &exitError{code: exitFailure, err: fmt.Errorf("failed %d of %d --fail-if conditions: %s", len(failed), len(ts), strings.Join(failed, "; "))}
	}
	return nil
}

// finish prints the summary and maps the outcome to an exit code: 2 for bad
// input, 130/143 after a signal (the partial report is written), 1 for other
// failures.
func finish(cmd *cobra.Command, out *pipeline.Outcome, err error) error {
	if out != nil && out.Report != nil {
		report.Summary(cmd.OutOrStdout(), out.Report, out.Dir)
	}
	if out != nil && out.CleanupErr != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "pgqtune: warning: pgqtune's schema was left on the database: %v\n", out.CleanupErr)
	}
	if err != nil {
		if errors.Is(err, pipeline.ErrBadInput) {
			return usageError(err)
		}
		if code := interruptedCode(cmd.Context()); code != 0 {
			return &exitError{code: code, err: err}
		}
		return err
	}
	if code := interruptedCode(cmd.Context()); code != 0 {
		return &exitError{code: code, err: fmt.Errorf("%s; partial report in %s", cmp.Or(out.Interrupted, "interrupted"), out.Dir)}
	}
	return nil
}
