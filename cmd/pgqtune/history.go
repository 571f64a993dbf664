package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/pgqtune/pgqtune/internal/connstr"
	"github.com/pgqtune/pgqtune/report"
	"github.com/pgqtune/pgqtune/results"
	"github.com/pgqtune/pgqtune/runrec"
)

func init() { register(newHistoryCmd) }

func newHistoryCmd() *cobra.Command {
	var root, store, format string
	var push bool
	var limit int
	c := &cobra.Command{
		Use:   "history",
		Short: "List past runs (date, scenario, server, jobs/s, p99, findings)",
		Long: `List the runs kept under the results root (default ./pgqtune-runs), newest first.
Runs interrupted before their report are listed as such.

With --store DSN, list the runs kept in a shared results database instead (schema
pgqtune_results, created on first use); --push first stores every run of the
results root there (storing a run again replaces it). The DSN may also come from
PGQTUNE_RESULTS_DSN.`,
		Example: `  pgqtune history
  pgqtune history --root ./runs --format json
  pgqtune history --store postgres://ci@results.internal/pgqtune --push`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return usageErrorf("--format must be text or json, got %q", format)
			}
			if !cmd.Flags().Changed("store") {
				store = os.Getenv("PGQTUNE_RESULTS_DSN")
			}
			if push && store == "" {
				return usageErrorf("--push needs --store DSN (or PGQTUNE_RESULTS_DSN)")
			}
			if limit <= 0 {
				return usageErrorf("--limit must be positive, got %d", limit)
			}
			if cmd.Flags().Changed("root") {
				if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
					return usageErrorf("--root %s is not a directory", root)
				}
			}
			entries, err := results.History(root)
			if err != nil {
				return err
			}
			if store != "" {
				if push {
					n := 0
					for _, e := range entries {
						if e.Status != "" {
							continue
						}
						rep, err := report.Load(e.Dir)
						if err != nil {
							return err
						}
						if err := results.Store(cmd.Context(), store, rep); err != nil {
							return connstr.RedactErr(err, store)
						}
						n++
					}
					fmt.Fprintf(cmd.ErrOrStderr(), "stored %d runs from %s\n", n, root)
				}
				if entries, err = results.StoredHistory(cmd.Context(), store, limit); err != nil {
					return connstr.RedactErr(err, store)
				}
			} else if len(entries) > limit {
				entries = entries[:limit]
			}
			w := cmd.OutOrStdout()
			if format == "json" {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				if entries == nil {
					entries = []results.HistoryEntry{}
				}
				return enc.Encode(entries)
			}
			if len(entries) == 0 {
				// Say where we looked, so a wrong directory is obvious.
				where := "under " + root
				if abs, err := filepath.Abs(root); err == nil {
					where = "under " + abs
				}
				if store != "" {
					where = "in the results store " + connstr.Describe(store)
				}
				fmt.Fprintf(w, "no runs %s (pick another directory with --root DIR, or a shared store with --store DSN)\n", where)
				return nil
			}
			return results.WriteHistory(w, entries)
		},
	}
	f := c.Flags()
	f.StringVar(&root, "root", runrec.DefaultRoot, "results root: the directory holding run directories")
	f.StringVar(&store, "store", "", "results database DSN (default $PGQTUNE_RESULTS_DSN)")
	f.BoolVar(&push, "push", false, "with --store: store the runs under --root first")
	f.IntVar(&limit, "limit", 50, "list at most this many runs")
	f.StringVar(&format, "format", "text", "text or json")
	return c
}
