package main

import (
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/pgqtune/pgqtune/internal/pipeline"
)

func init() { register(newObserveCmd) }

func newObserveCmd() *cobra.Command {
	var o pipeline.ObserveOptions
	var quiet bool
	c := &cobra.Command{
		Use:   "observe [flags] [-- COMMAND ARGS...]",
		Short: "Watch a queue workload pgqtune did not start (read-only), then analyze and report",
		Long: `Attach to a database where someone else's queue runs (pg-boss, pgmq, River,
graphile-worker, Que, good_job, solid_queue or a home-grown table), sample its
statistics every second, measure throughput from the database side, then analyze
and write the same report as 'run'.

observe only ever runs SELECTs: its sessions are read-only. It stops when
--duration ends, on Ctrl-C, or when COMMAND (given after --) exits; COMMAND is run
as the workload, with --dsn in PGQTUNE_DSN unless that is already set, and
'pgqtune validate RUN_DIR --dsn DSN --apply-to-target' can run it again to
prove a recommendation (make it stop by itself, on a job count). Queue tables
are auto-detected unless named with --queue-table. The role needs pg_monitor (or
superuser) to see everything; what it cannot see becomes a note in the report.`,
		Example: `  pgqtune observe --dsn postgres://monitor@db/app --duration 10m
  pgqtune observe --dsn "$DSN" --queue-table pgboss.job --duration 5m
  pgqtune observe --dsn "$DSN" -- ./load-test.sh --jobs 100000`,
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			if !f.Changed("dsn") {
				o.DSN = os.Getenv("PGQTUNE_DSN")
			}
			if o.DSN == "" && os.Getenv("PGHOST") == "" && os.Getenv("PGDATABASE") == "" && os.Getenv("PGSERVICE") == "" {
				return usageErrorf("observe needs --dsn (or PGQTUNE_DSN / PGHOST)")
			}
			if f.Changed("duration") && o.Duration <= 0 {
				return usageErrorf("--duration must be positive, got %s", o.Duration)
			}
			if dash := cmd.ArgsLenAtDash(); dash >= 0 {
				if dash > 0 {
					return usageErrorf("unexpected arguments before --: %v", args[:dash])
				}
				o.Command = args[dash:]
				if len(o.Command) == 0 {
					return usageErrorf("nothing after --: give the workload command to run")
				}
			} else if len(args) > 0 {
				return usageErrorf("unexpected arguments %v (put the workload command after --)", args)
			}
			if o.Duration == 0 && len(o.Command) == 0 {
				return usageErrorf("observe needs --duration or a workload command after --")
			}
			if o.Interval < 100*time.Millisecond {
				return usageErrorf("--interval must be at least 100ms, got %s", o.Interval)
			}
			if err := checkProgress(o.ProgressEvery); err != nil {
				return err
			}
			if !quiet {
				o.Progress = cmd.ErrOrStderr()
			}
			out, err := pipeline.Observe(cmd.Context(), o)
			return finish(cmd, out, err)
		},
	}
	f := c.Flags()
	f.StringVar(&o.DSN, "dsn", "", "database where the queue runs (default $PGQTUNE_DSN, then PG* variables)")
	f.DurationVar(&o.Duration, "duration", 0, "how long to observe (default: until COMMAND exits or Ctrl-C)")
	f.StringVar(&o.Out, "out", "", "run directory (default ./pgqtune-runs/<run-id>)")
	f.StringSliceVar(&o.QueueTables, "queue-table", nil, "queue table as SCHEMA.TABLE (repeatable; default: auto-detect)")
	f.DurationVar(&o.Interval, "interval", time.Second, "sampling interval")
	f.StringVar(&o.Store, "store", "", "also keep the report in this database's pgqtune_results schema (shared history)")
	f.StringVar(&o.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics on this address while observing")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress lines")
	progressFlag(f, &o.ProgressEvery)
	return c
}
