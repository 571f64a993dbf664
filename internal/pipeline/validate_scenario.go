package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/internal/pgserver"
	"github.com/pgqtune/pgqtune/recommendations"
	"github.com/pgqtune/pgqtune/runrec"
)

// scenarioValidator re-runs a 'pgqtune run' scenario: on a scratch cluster,
// a fresh database per repetition, or on --dsn with --apply-to-target.
type scenarioValidator struct {
	o   ValidateOptions
	run *runrec.Run
	cat *recommendations.Catalog
}

func newScenarioValidator(o ValidateOptions, run *runrec.Run) (*scenarioValidator, error) {
	cat, err := recommendations.LoadCatalog(o.Dir)
	if err != nil {
		return nil, err
	}
	return &scenarioValidator{o: o, run: run, cat: cat}, nil
}

func (v *scenarioValidator) eligible(runrec.Recommendation) error { return nil }

func (v *scenarioValidator) check(context.Context, []runrec.Recommendation) error { return nil }

func (v *scenarioValidator) where() string {
	if v.o.DSN != "" {
		return "on " + Describe(v.o.DSN)
	}
	return "on a scratch cluster, a fresh database per repetition"
}

func (v *scenarioValidator) prepare(ctx context.Context, vdir string, chosen []runrec.Recommendation, res *ValidateResult) (recommendations.RunOnce, func(), error) {
	o, run, cat := v.o, v.run, v.cat
	scenario := filepath.Join(vdir, "scenario.yaml")
	if err := os.WriteFile(scenario, []byte(run.Meta.ScenarioYAML), 0o644); err != nil {
		return nil, nil, fmt.Errorf("validate: write scenario: %w", err)
	}
	// One scratch cluster serves every repetition, each in a database of
	// its own: starting a cluster per repetition would cost more than a
	// short repetition. Server-wide changes are rolled back after each
	// "with" repetition, and ABBA interleaving evens out a warming cache.
	var srv *pgserver.Server
	cleanup := func() {}
	if o.DSN == "" {
		var err error
		srv, err = pgserver.Start(ctx, pgserver.Options{Fsync: true, Settings: mirroredSettings(cat)})
		if err != nil {
			return nil, nil, fmt.Errorf("validate: start a scratch cluster: %w", err)
		}
		cleanup = func() { srv.Stop() }
	}
	interval := time.Duration(max(run.Meta.SamplerIntervalS, 0.1) * float64(time.Second))
	if run.Meta.SamplerIntervalS == 0 {
		interval = time.Second
	}

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
		ro := RunOptions{
			DSN:    dsn,
			Schema: run.Meta.Schema,
			// Never explicit: on --dsn a "pgqtune" schema someone else
			// made is refused rather than set up and measured in.
			SchemaExplicit: false,
			Scenario:       scenario,
			Duration:       o.Duration,
			Out:            filepath.Join(vdir, fmt.Sprintf("%d-%s", rep, arm)),
			Interval:       interval,
			BeforeWorkload: func(ctx context.Context, t Target) error {
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
		out, err := Run(ctx, ro)
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
	return once, cleanup, nil
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

// rollbackSettings runs the rollback of the recommendations whose changes
// outlive a repetition's schema (database- and server-wide settings, told
// apart by their parse trees) and reports whether the server needs a
// restart to drop them.
func rollbackSettings(ctx context.Context, dsn string, recs []runrec.Recommendation) (bool, error) {
	var undo []runrec.Recommendation
	for _, r := range recs {
		if !recommendations.Outlives(r) {
			continue
		}
		if rb, err := recommendations.RollbackOf(r); err == nil {
			undo = append(undo, rb)
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
