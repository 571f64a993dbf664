package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/pgqtune/pgqtune/internal/pipeline"
)

func init() { register(newValidateCmd) }

func newValidateCmd() *cobra.Command {
	var o pipeline.ValidateOptions
	var quiet bool
	c := &cobra.Command{
		Use:   "validate RUN_DIR",
		Short: "Prove recommendations by re-running the workload without and with them",
		Long: `Re-run a recorded run's scenario on a scratch cluster, alternately without and
with the chosen recommendations applied (interleaved repetitions: without, with,
with, without, ...), and report the measured change in throughput, p99 latency and
dead-tuple growth over the repetitions (a one-sided paired t-test on each
repetition's with/without ratio; Welch's t-test where a value is zero or
missing). The result is written
into the run's report.json as each recommendation's validation {method "rerun"}.

Each repetition starts like the recorded run: the queue tables get the recorded
indexes and reloptions (catalog.json) and as many finished rows as they held at
the start, so a missing index is missing again before the fix is applied.

By default every applicable recommendation is applied together; --recommendation
picks some. Application changes and partitioning outlines cannot be applied
automatically. DDL never touches --dsn unless --apply-to-target is given.

An observed run (pgqtune observe -- COMMAND ARGS...) is validated on the
database it watched: --dsn DSN --apply-to-target re-runs the recorded command
there (same arguments, working directory and environment variable names; the
values come from validate's environment, and each variable that held the
observed database's DSN, PGQTUNE_DSN included, gets --dsn when it is unset),
alternately without and with the recommendations. Each "with" repetition applies them and undoes them with
their rollbacks when the command ends; throughput is measured from the
database side as observe measures it. A recommendation without a rollback
that undoes it, or an observation without a recorded command, is refused.`,
		Example: `  pgqtune validate pgqtune-runs/20261126-140210-baseline
  pgqtune validate RUN_DIR --recommendation R1 --reps 5 --duration 20s
  pgqtune validate OBSERVED_RUN_DIR --dsn "$DSN" --apply-to-target --recommendation R1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Dir = args[0]
			if cmd.Flags().Changed("duration") && o.Duration <= 0 {
				return usageErrorf("--duration must be positive, got %s", o.Duration)
			}
			if !quiet {
				o.Progress = cmd.ErrOrStderr()
				o.CommandOutput = cmd.ErrOrStderr()
			}
			rep, err := pipeline.Validate(cmd.Context(), o)
			if err != nil {
				if errors.Is(err, pipeline.ErrBadInput) {
					return usageError(err)
				}
				if code := interruptedCode(cmd.Context()); code != 0 {
					return &exitError{code: code, err: err}
				}
				return err
			}
			printValidation(cmd.OutOrStdout(), rep, o.Dir)
			return nil
		},
	}
	f := c.Flags()
	f.StringSliceVar(&o.IDs, "recommendation", nil, "recommendation id to apply (repeatable; default: every applicable one)")
	f.IntVar(&o.Reps, "reps", 3, "repetitions per arm")
	f.DurationVar(&o.Duration, "duration", 0, "length of each repetition (default: the scenario's; an observed command's bound: 3x the observation)")
	f.StringVar(&o.DSN, "dsn", "", "run against this database instead of a scratch cluster (needs --apply-to-target)")
	f.BoolVar(&o.ApplyToTarget, "apply-to-target", false, "allow applying the recommendations' DDL and settings to --dsn")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress lines")
	return c
}

func printValidation(w io.Writer, res *pipeline.ValidateResult, dir string) {
	r := res.Result
	fmt.Fprintf(w, "validated %d recommendation(s) with %d repetitions per arm:\n", len(res.Recs), len(r.Throughput.With))
	for _, rec := range res.Recs {
		fmt.Fprintf(w, "  %s %s %s\n", rec.ID, rec.Kind, rec.Target)
	}
	for _, l := range r.Lines(res.Recs) {
		fmt.Fprintf(w, "  %s\n", l)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	fmt.Fprintf(w, "report.json updated in %s\n", dir)
}
