package main

import (
	"github.com/spf13/cobra"

	"github.com/pgqtune/pgqtune/internal/pipeline"
)

func init() { register(newAnalyzeCmd) }

func newAnalyzeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "analyze RUN_DIR",
		Short: "Re-run analysis and recommendations on a recorded run (no database needed)",
		Long: `Re-read a run directory written by 'run' or 'observe' (run.json, workload.jsonl,
samples.jsonl, catalog.json), find the drops and their causes again, derive the
recommendations again, and rewrite report.json, report.md and report.html.
Validation results already in report.json are kept.`,
		Example: `  pgqtune analyze pgqtune-runs/20261126-140210-baseline`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := pipeline.Analyze(cmd.Context(), args[0])
			return finish(cmd, out, err)
		},
	}
}
