package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/pgqtune/pgqtune/report"
	"github.com/pgqtune/pgqtune/results"
	"github.com/pgqtune/pgqtune/runrec"
)

func init() { register(newReportCmd) }

func newReportCmd() *cobra.Command {
	var format, out string
	c := &cobra.Command{
		Use:   "report RUN_DIR",
		Short: "Print a run's report as Markdown or JSON, or write its HTML report",
		Long: `Render the report of a run directory from its report.json (validated against the
schema) and, when they are there, its recorded samples (for the timeline).

  --format md    print report.md to stdout (for a terminal, a pull request, a ticket)
  --format json  print report.json to stdout (the schema_version 1 contract)
  --format html  write report.html (self-contained, opens offline) and print its path

Nothing is re-analysed: use 'pgqtune analyze RUN_DIR' for that.`,
		Example: `  pgqtune report pgqtune-runs/20261126-140210-baseline
  pgqtune report pgqtune-runs/20261126-140210-baseline --format json | jq .findings
  pgqtune report pgqtune-runs/20261126-140210-baseline --format html --out /tmp/r.html`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := resolveRunDir(args[0])
			if format != "md" && format != "json" && format != "html" {
				return usageErrorf("--format must be md, html or json, got %q", format)
			}
			rep, err := report.Load(dir)
			if err != nil {
				return usageError(err)
			}
			var run *runrec.Run
			if _, serr := os.Stat(filepath.Join(dir, runrec.MetaFile)); serr == nil {
				if run, err = runrec.Load(dir); err != nil {
					return usageError(err)
				}
			}
			// The previous run of the same scenario beside the run
			// directory, as the run's own report shows it.
			var opts report.Options
			if run != nil {
				opts.Previous = results.Previous(run.Dir, rep, run)
			}
			w := cmd.OutOrStdout()
			switch format {
			case "json":
				b, err := report.MarshalJSON(rep)
				if err != nil {
					return err
				}
				_, err = w.Write(b)
				return err
			case "md":
				return report.MarkdownWith(w, rep, run, opts)
			}
			path := out
			if path == "" {
				path = filepath.Join(dir, runrec.ReportHTML)
			}
			f, err := os.CreateTemp(filepath.Dir(path), ".report-*.html")
			if err != nil {
				// Nothing was written: the place the user named cannot take it.
				return usageErrorf("cannot write %s: %s", path, osReason(err))
			}
			defer os.Remove(f.Name())
			if err := report.HTMLWith(f, rep, run, opts); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return fmt.Errorf("cannot write %s: %s", path, osReason(err))
			}
			if err := os.Chmod(f.Name(), 0o644); err != nil {
				return fmt.Errorf("cannot write %s: %s", path, osReason(err))
			}
			if err := os.Rename(f.Name(), path); err != nil {
				return fmt.Errorf("cannot write %s: %s", path, osReason(err))
			}
			fmt.Fprintln(w, path)
			return nil
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "md", "md, html or json")
	c.Flags().StringVarP(&out, "out", "o", "", "with --format html: where to write (default RUN_DIR/report.html)")
	return c
}
