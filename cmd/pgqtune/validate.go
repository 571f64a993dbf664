package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/pgqtune/pgqtune/internal/pgserver"
	"github.com/pgqtune/pgqtune/internal/pipeline"
	"github.com/pgqtune/pgqtune/recommendations"
	"github.com/pgqtune/pgqtune/report"
	"github.com/pgqtune/pgqtune/runrec"
)

func init() { register(newValidateCmd) }

// validateOptions are the validate command's inputs.
type validateOptions struct {
	Dir           string
	IDs           []string
	Reps          int
	Duration      time.Duration
	DSN           string
	ApplyToTarget bool
	Progress      io.Writer
}

func newValidateCmd() *cobra.Command {
	var o validateOptions
	var quiet bool
	c := &cobra.Command{
		Use:   "validate RUN_DIR",
		Short: "Prove recommendations by re-running the scenario without and with them",
		Long: `Re-run a recorded run's scenario on a scratch cluster, alternately without and
with the chosen recommendations applied (interleaved repetitions: without, with,
with, without, ...), and report the measured change in throughput, p99 latency and
dead-tuple growth with Welch's t-test over the repetitions. The result is written
into the run's report.json as each recommendation's validation {method "rerun"}.

Each repetition starts like the recorded run: the queue tables get the recorded
indexes and reloptions (catalog.json) and as many finished rows as they held at
the start, so a missing index is missing again before the fix is applied.

By default every applicable recommendation is applied together; --recommendation
picks some. Application changes and partitioning outlines cannot be applied
automatically. DDL never touches --dsn unless --apply-to-target is given.`,
		Example: `  pgqtune validate pgqtune-runs/20261126-140210-baseline
  pgqtune validate RUN_DIR --recommendation R1 --reps 5 --duration 20s`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Dir = args[0]
			if o.Reps < 1 {
				return usageErrorf("--reps must be at least 1, got %d", o.Reps)
			}
			if cmd.Flags().Changed("duration") && o.Duration <= 0 {
				return usageErrorf("--duration must be positive, got %s", o.Duration)
			}
			if o.DSN != "" && !o.ApplyToTarget {
				return usageErrorf("validate applies the recommendations' DDL; it runs on a scratch cluster unless you also pass --apply-to-target to apply it to --dsn")
			}
			if o.ApplyToTarget && o.DSN == "" {
				return usageErrorf("--apply-to-target needs --dsn")
			}
			if !quiet {
				o.Progress = cmd.ErrOrStderr()
			}
			rep, err := validateRun(cmd.Context(), o)
			if err != nil {
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
	f.DurationVar(&o.Duration, "duration", 0, "length of each repetition (default: the scenario's)")
	f.StringVar(&o.DSN, "dsn", "", "run against this database instead of a scratch cluster (needs --apply-to-target)")
	f.BoolVar(&o.ApplyToTarget, "apply-to-target", false, "allow applying the recommendations' DDL and settings to --dsn")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress lines")
	return c
}

// validateResult is what validate measured for the chosen recommendations.
type validateResult struct {
	Recs   []runrec.Recommendation
	Result *recommendations.RerunResult
	Notes  []string
}

// validateRun re-runs the scenario of o.Dir without and with the chosen
// recommendations, writes the validations into report.json (and re-renders
// the report), and returns what it measured.
func validateRun(ctx context.Context, o validateOptions) (*validateResult, error) {
	run, err := runrec.Load(o.Dir)
	if err != nil {
		return nil, usageErrorf("%s is not a run directory: %v", o.Dir, err)
	}
	rep, err := report.Load(o.Dir)
	if err != nil {
		return nil, usageErrorf("%s has no readable report.json (run 'pgqtune analyze %s' first): %v", o.Dir, o.Dir, err)
	}
	if run.Meta.Mode != "run" || strings.TrimSpace(run.Meta.ScenarioYAML) == "" {
		return nil, usageErrorf("%s was not a 'pgqtune run' with a recorded scenario: there is nothing to re-run", o.Dir)
	}
	cat, err := recommendations.LoadCatalog(o.Dir)
	if err != nil {
		return nil, err
	}
	chosen, err := chooseRecs(rep.Recommendations, o.IDs)
	if err != nil {
		return nil, err
	}

	vdir := filepath.Join(o.Dir, "validate", time.Now().UTC().Format("20060102-150405"))
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	scenario := filepath.Join(vdir, "scenario.yaml")
	if err := os.WriteFile(scenario, []byte(run.Meta.ScenarioYAML), 0o644); err != nil {
		return nil, fmt.Errorf("validate: write scenario: %w", err)
	}
	var ids []string
	for _, r := range chosen {
		ids = append(ids, r.ID)
	}
	if o.Progress != nil {
		where := "a scratch cluster, a fresh database per repetition"
		if o.DSN != "" {
			where = pipeline.Describe(o.DSN)
		}
		fmt.Fprintf(o.Progress, "validate: %s, %d repetitions per arm on %s\n", strings.Join(ids, ", "), o.Reps, where)
	}

	// One scratch cluster serves every repetition, each in a database of
	// its own: starting a cluster per repetition would cost more than a
	// short repetition. Server-wide changes are rolled back after each
	// "with" repetition, and ABBA interleaving evens out a warming cache.
	var srv *pgserver.Server
	if o.DSN == "" {
		srv, err = pgserver.Start(ctx, pgserver.Options{Fsync: true, Settings: mirroredSettings(cat)})
		if err != nil {
			return nil, fmt.Errorf("validate: start a scratch cluster: %w", err)
		}
		defer srv.Stop()
	}

	res := &validateResult{Recs: chosen}
	once := func(ctx context.Context, arm string, rep int) (*recommendations.Measurement, error) {
		dsn := o.DSN
		dbName := ""
		if cfg, err := pgx.ParseConfig(dsn); err == nil && dsn != "" {
			dbName = cfg.Database
		}
		if srv != nil {
			db := fmt.Sprintf("validate_%d_%s", rep, arm)
			if err := srv.CreateDatabase(ctx, db, ""); err != nil {
				return nil, err
			}
			defer dropDatabase(context.WithoutCancel(ctx), srv, db)
			dsn, dbName = srv.DSN(db), db
		}
		// Database-level settings name the recorded database; apply them
		// to this repetition's.
		recs := recommendations.Retarget(chosen, recordedDB(cat), dbName)
		ro := pipeline.RunOptions{
			DSN:    dsn,
			Schema: run.Meta.Schema,
			// Never explicit: on --dsn a "pgqtune" schema someone else
			// made is refused rather than set up and measured in.
			SchemaExplicit: false,
			Scenario:       scenario,
			Duration:       o.Duration,
			Out:            filepath.Join(vdir, fmt.Sprintf("%d-%s", rep, arm)),
			Interval:       time.Duration(max(run.Meta.SamplerIntervalS, 0.1) * float64(time.Second)),
			BeforeWorkload: func(ctx context.Context, t pipeline.Target) error {
				notes, err := recommendations.MatchCatalog(ctx, t.DSN, cat, run)
				if err != nil {
					return err
				}
				if rep == 1 && arm == recommendations.ArmWithout {
					res.Notes = append(res.Notes, notes...)
				}
				if arm != recommendations.ArmWith {
					return nil
				}
				restart, err := recommendations.Apply(ctx, t.DSN, recs)
				if err != nil {
					return err
				}
				if restart {
					if srv == nil {
						res.Notes = append(res.Notes, "a changed setting needs a restart, which validate does not do on --dsn: it is not in effect")
						return nil
					}
					return srv.Restart(ctx, "fast")
				}
				return nil
			},
		}
		if run.Meta.SamplerIntervalS == 0 {
			ro.Interval = time.Second
		}
		out, err := pipeline.Run(ctx, ro)
		if arm == recommendations.ArmWith {
			// Undo server-wide changes so the next "without" repetition
			// starts clean.
			restart, rerr := rollbackSettings(context.WithoutCancel(ctx), dsn, recs)
			if rerr != nil {
				res.Notes = append(res.Notes, "rollback after a repetition failed: "+rerr.Error())
			}
			if restart && srv != nil {
				if rerr := srv.Restart(context.WithoutCancel(ctx), "fast"); rerr != nil {
					return nil, fmt.Errorf("validate: restart the scratch cluster: %w", rerr)
				}
			}
		}
		if err != nil {
			return nil, err
		}
		if out.Interrupted != "" {
			return nil, fmt.Errorf("repetition interrupted: %s", out.Interrupted)
		}
		m := recommendations.Measure(out.Report, out.Run)
		m.Dir = out.Dir
		return &m, nil
	}
	rr, err := recommendations.Rerun(ctx, recommendations.RerunOptions{Reps: o.Reps, Run: once, Progress: o.Progress})
	if err != nil {
		return nil, err
	}
	res.Result = rr

	for i := range rep.Recommendations {
		if slices.Contains(ids, rep.Recommendations[i].ID) {
			rep.Recommendations[i].Validation = rr.Validation(rep.Recommendations[i], o.Reps, recommendations.OpenLoop(run))
		}
	}
	for i := range res.Recs {
		res.Recs[i].Validation = rr.Validation(res.Recs[i], o.Reps, recommendations.OpenLoop(run))
	}
	for _, n := range res.Notes {
		if !slices.Contains(rep.Notes, n) {
			rep.Notes = append(rep.Notes, n)
		}
	}
	if err := runrec.WriteJSON(filepath.Join(vdir, "validation.json"), rr); err != nil {
		return nil, err
	}
	if err := report.Write(o.Dir, rep, run); err != nil {
		return nil, fmt.Errorf("validate: rewrite the report: %w", err)
	}
	return res, nil
}

// chooseRecs picks the recommendations to apply: the named ones (each must
// exist and be applicable), or every applicable, non-informational one.
func chooseRecs(all []runrec.Recommendation, ids []string) ([]runrec.Recommendation, error) {
	if len(ids) == 0 {
		var out []runrec.Recommendation
		for _, r := range all {
			if _, err := recommendations.Statements(r); err == nil && !r.Informational {
				out = append(out, r)
			}
		}
		if len(out) == 0 {
			return nil, usageErrorf("the report has no recommendation validate can apply (%d in total); name one with --recommendation", len(all))
		}
		return out, nil
	}
	var out []runrec.Recommendation
	for _, id := range ids {
		i := slices.IndexFunc(all, func(r runrec.Recommendation) bool { return strings.EqualFold(r.ID, id) })
		if i < 0 {
			var have []string
			for _, r := range all {
				have = append(have, r.ID)
			}
			return nil, usageErrorf("--recommendation %s: no such recommendation (the report has: %s)", id, strings.Join(have, ", "))
		}
		if _, err := recommendations.Statements(all[i]); err != nil {
			return nil, usageErrorf("--recommendation %s: %v", id, err)
		}
		out = append(out, all[i])
	}
	return out, nil
}

// mirroredSettingNames are the recorded settings a scratch cluster copies,
// so the rerun behaves like the recorded server where it matters to the
// queue. Memory sizes are left out: the recorded server's may not fit here.
var mirroredSettingNames = []string{
	"autovacuum", "autovacuum_naptime", "autovacuum_max_workers", "autovacuum_vacuum_scale_factor",
	"autovacuum_vacuum_threshold", "autovacuum_vacuum_insert_scale_factor", "autovacuum_vacuum_insert_threshold",
	"autovacuum_analyze_scale_factor", "autovacuum_vacuum_cost_limit", "autovacuum_vacuum_cost_delay",
	"vacuum_cost_limit", "vacuum_cost_delay", "max_wal_size", "min_wal_size", "checkpoint_timeout",
	"checkpoint_completion_target", "wal_compression", "synchronous_commit", "commit_delay", "commit_siblings",
	"random_page_cost",
}

// mirroredSettings turns the recorded non-default settings into
// postgresql.conf values for the scratch cluster.
func mirroredSettings(cat *recommendations.Catalog) map[string]string {
	if cat == nil {
		return nil
	}
	out := map[string]string{}
	for _, name := range mirroredSettingNames {
		s, ok := cat.Settings[name]
		if !ok || s.Source == "default" || s.Source == "" {
			continue
		}
		switch s.Unit {
		case "", "ms", "s", "min", "kB", "MB":
			out[name] = "'" + strings.ReplaceAll(s.Value, "'", "''") + s.Unit + "'"
		}
	}
	return out
}

// rollbackSettings runs the rollback of server- and database-wide changes
// (ALTER SYSTEM, ALTER DATABASE), which outlive the repetition's schema, and
// reports whether the server needs a restart to drop them.
func rollbackSettings(ctx context.Context, dsn string, recs []runrec.Recommendation) (bool, error) {
	var undo []runrec.Recommendation
	for _, r := range recs {
		system := strings.Contains(r.SQL, "ALTER SYSTEM") && strings.Contains(r.Rollback, "ALTER SYSTEM RESET")
		database := strings.HasPrefix(r.SQL, "ALTER DATABASE ") && strings.HasPrefix(r.Rollback, "ALTER DATABASE ")
		if system || database {
			undo = append(undo, runrec.Recommendation{ID: r.ID, Kind: r.Kind, SQL: r.Rollback})
		}
	}
	if len(undo) == 0 {
		return false, nil
	}
	restart, err := recommendations.Apply(ctx, dsn, undo)
	if errors.Is(err, recommendations.ErrNotApplicable) {
		return false, nil
	}
	return restart, err
}

// recordedDB is the database the recorded run's queue lived in.
func recordedDB(cat *recommendations.Catalog) string {
	if cat == nil {
		return ""
	}
	return cat.Database
}

// dropDatabase removes a repetition's database from the scratch cluster.
func dropDatabase(ctx context.Context, srv *pgserver.Server, db string) {
	conn, err := pgx.Connect(ctx, srv.DSN("postgres"))
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)")
}

func printValidation(w io.Writer, res *validateResult, dir string) {
	r := res.Result
	fmt.Fprintf(w, "validated %d recommendation(s) with %d repetitions per arm:\n", len(res.Recs), len(r.Throughput.With))
	for _, rec := range res.Recs {
		fmt.Fprintf(w, "  %s %s %s\n", rec.ID, rec.Kind, rec.Target)
	}
	fmt.Fprintf(w, "  %s\n  %s\n", r.Throughput.String(), r.P99.String())
	for _, d := range r.Dead {
		fmt.Fprintf(w, "  %s\n", d.String())
	}
	for _, n := range res.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	fmt.Fprintf(w, "report.json updated in %s\n", dir)
}
