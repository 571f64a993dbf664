package main_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/internal/pipeline"
	"github.com/pgqtune/pgqtune/runrec"
)

// recordRun runs scenario (YAML text) on a throwaway cluster with before
// applied after setup, and returns the run directory.
func recordRun(t *testing.T, ctx context.Context, scenario string, settings map[string]string, before func(ctx context.Context, conn *pgx.Conn) error) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "scenario.yaml")
	if err := os.WriteFile(path, []byte(scenario), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "run")
	_, err := pipeline.Run(ctx, pipeline.RunOptions{
		Scenario:       path,
		Out:            out,
		ServerSettings: settings,
		BeforeWorkload: func(ctx context.Context, tg pipeline.Target) error {
			conn, err := pgx.Connect(ctx, tg.DSN)
			if err != nil {
				return err
			}
			defer conn.Close(context.WithoutCancel(ctx))
			return before(ctx, conn)
		},
	})
	if err != nil {
		t.Fatalf("record run: %v", err)
	}
	return out
}

func findRec(rep *runrec.Report, kind, sqlPrefix string) *runrec.Recommendation {
	for i := range rep.Recommendations {
		r := &rep.Recommendations[i]
		// Contains, not HasPrefix: DDL starts with SET lock_timeout or
		// SET statement_timeout = 0 (issue 17).
		if r.Kind == kind && strings.Contains(r.SQL, sqlPrefix) {
			return r
		}
	}
	return nil
}

// TestValidateMissingIndex: a run whose claim index was dropped while the
// table holds many finished jobs gets a CREATE INDEX recommendation; the
// planner (hypopg) costs the claim lower with it, and validate's reruns
// measure throughput rising. No ratio is asserted: how much it rises
// depends on how busy the machine is, the plan change does not.
func TestValidateMissingIndex(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const scenario = `name: missing-index
adapter: skiplocked
adapter_settings: {completion: update}
producers: 2
consumers: 4
enqueue_batch: 10
dequeue_batch: 10
phases:
  - {name: warmup, profile: max, duration: 1s, warmup: true}
  - {name: steady, profile: max, duration: 3s}
`
	dir := recordRun(t, ctx, scenario, nil, func(ctx context.Context, conn *pgx.Conn) error {
		for _, sql := range []string{
			`DROP INDEX pgqtune.job_claim_idx`,
			`INSERT INTO pgqtune.job (state, finished_at) SELECT 'completed', now() FROM generate_series(1, 80000)`,
			// Flush the insert's counts before ANALYZE sets n_live_tup, or
			// they are added on top of it later (n_live_tup would read
			// twice the rows, and validate back-fills from it).
			`SELECT pg_stat_force_next_flush()`,
			`ANALYZE pgqtune.job`,
		} {
			if _, err := conn.Exec(ctx, sql); err != nil {
				return err
			}
		}
		return nil
	})
	rep := loadReport(t, dir)
	rec := findRec(rep, runrec.RecIndex, "CREATE INDEX CONCURRENTLY")
	if rec == nil {
		t.Fatalf("no CREATE INDEX recommendation; got %+v\nfindings %+v", rep.Recommendations, rep.Findings)
	}
	if rec.Informational || !strings.Contains(rec.SQL, "(queue, priority, run_at) WHERE state = 'pending'") {
		t.Fatalf("index recommendation = %+v", rec)
	}
	if rec.Validation == nil || rec.Validation.Method != "hypopg" || rec.Validation.After >= rec.Validation.Before {
		t.Errorf("hypopg validation missing or not an improvement: %+v", rec.Validation)
	}

	// Three interleaved 3 s repetitions per arm: with two of 2 s, one
	// stalled moment of a loaded CI machine (other test binaries running
	// CPU hogs and restarts beside this one) once left the index arm at
	// 925 jobs/s against 840 without it.
	r := pgqtune(t, ctx, nil, "validate", dir, "--recommendation", rec.ID, "--reps", "3", "--duration", "3s", "-q")
	if r.code != 0 {
		t.Fatalf("validate exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	after := loadReport(t, dir)
	v := findRec(after, runrec.RecIndex, "CREATE INDEX CONCURRENTLY").Validation
	if v == nil || v.Method != "rerun" || v.Unit != "jobs/s" || v.Significant == nil {
		t.Fatalf("rerun validation = %+v\n%s", v, r.stdout)
	}
	t.Logf("%s", r.stdout)
	// Direction only: the seq scan over 80000 finished rows per claim
	// costs the no-index arm several times what the index arm pays, so
	// even a stalled moment on a loaded machine leaves the order intact
	// (the worst seen was 925 against 840 jobs/s).
	if v.After <= v.Before {
		t.Fatalf("index did not raise throughput: %.0f -> %.0f jobs/s\n%s", v.Before, v.After, r.stdout)
	}
	if !strings.Contains(v.Note, "3 interleaved repetitions") {
		t.Errorf("note = %q", v.Note)
	}
	if !strings.Contains(r.stdout, "back-filled 80000 completed rows") {
		t.Errorf("the reruns did not start with the recorded 80000 finished rows:\n%s", r.stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "validate")); err != nil {
		t.Errorf("repetition runs not kept under the run directory: %v", err)
	}
}

// TestValidateNoAutovacuum: a run with autovacuum disabled on the queue
// table gets per-table autovacuum settings, and validate shows they stop
// the dead-tuple climb.
func TestValidateNoAutovacuum(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const scenario = `name: no-autovacuum
adapter: skiplocked
adapter_settings: {completion: update}
rate: 400
producers: 2
consumers: 4
enqueue_batch: 10
dequeue_batch: 10
phases:
  - {name: warmup, profile: constant, duration: 1s, warmup: true}
  - {name: steady, profile: constant, duration: 4s}
`
	// A short naptime so autovacuum acts within a short test; validate
	// mirrors it on its scratch clusters.
	settings := map[string]string{"autovacuum_naptime": "'1s'"}
	dir := recordRun(t, ctx, scenario, settings, func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, `ALTER TABLE pgqtune.job SET (autovacuum_enabled = off)`)
		return err
	})
	rep := loadReport(t, dir)
	rec := findRec(rep, runrec.RecAutovacuum, "ALTER TABLE pgqtune.job SET (autovacuum_enabled = on")
	if rec == nil {
		t.Fatalf("no per-table autovacuum recommendation; got %+v\nfindings %+v", rep.Recommendations, rep.Findings)
	}
	if !strings.Contains(rec.SQL, "autovacuum_vacuum_scale_factor = 0") || !strings.Contains(rec.SQL, "autovacuum_vacuum_threshold = ") {
		t.Fatalf("autovacuum SQL = %s", rec.SQL)
	}

	r := pgqtune(t, ctx, nil, "validate", dir, "--recommendation", rec.ID, "--reps", "2", "--duration", "3s", "-q")
	if r.code != 0 {
		t.Fatalf("validate exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	t.Logf("%s", r.stdout)
	v := findRec(loadReport(t, dir), runrec.RecAutovacuum, "ALTER TABLE pgqtune.job").Validation
	if v == nil || v.Method != "rerun" || v.Unit != "dead_tuples/min" {
		t.Fatalf("rerun validation = %+v", v)
	}
	// Without: dead tuples climb all run; with: vacuum cuts the climb, by
	// a margin the repetitions call significant (or by half, when two
	// repetitions are too few for the test). How much it is cut
	// depends on how often autovacuum got a turn on a busy machine (4x on
	// a quiet one, 3.9x once under load), so no ratio is asserted.
	significant := v.Significant != nil && *v.Significant
	if v.Before < 1000 || v.After >= v.Before || (!significant && v.After > v.Before/2) {
		t.Fatalf("dead-tuple slope %.0f/min -> %.0f/min (significant %v): the climb did not slow\n%s", v.Before, v.After, v.Significant, r.stdout)
	}
}

func TestValidateBadInput(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"validate", t.TempDir()}, "not a run directory"},
		{[]string{"validate", t.TempDir(), "--dsn", "postgres://x@127.0.0.1/db"}, "--apply-to-target"},
		{[]string{"validate", t.TempDir(), "--reps", "0"}, "--reps"},
	} {
		r := pgqtune(t, ctx, nil, c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q (want exit 2, one line with %q)", c.args, r.code, r.stderr, c.want)
		}
	}
}

// TestValidateApplyToTarget: with --dsn and --apply-to-target the
// repetitions run in the target database, and what a repetition changed
// there (pgqtune's schema, database-level settings) is gone afterwards.
func TestValidateApplyToTarget(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "run")
	if r := pgqtune(t, ctx, nil, "run", "--duration", "2s", "--out", dir, "-q"); r.code != 0 {
		t.Fatalf("run exit %d: %s", r.code, r.stderr)
	}
	// A database-level recommendation, as the config rule writes them for
	// the recorded database.
	var rep runrec.Report
	if err := runrec.ReadJSON(filepath.Join(dir, runrec.ReportJSON), &rep); err != nil {
		t.Fatal(err)
	}
	rep.Recommendations = append(rep.Recommendations, runrec.Recommendation{ID: "R9", Kind: runrec.RecConfig, Target: "database pgqtune: work_mem",
		SQL: "ALTER DATABASE pgqtune SET work_mem = '64MB';", Rationale: "test", FindingIDs: []string{}, ExpectedImpact: "test", Risk: "test",
		Rollback: "ALTER DATABASE pgqtune RESET work_mem;"})
	if err := runrec.WriteJSON(filepath.Join(dir, runrec.ReportJSON), &rep); err != nil {
		t.Fatal(err)
	}
	dsn := pgtest.NewDB(t)
	r := pgqtune(t, ctx, nil, "validate", dir, "--recommendation", "R9", "--reps", "1", "--duration", "2s", "--dsn", dsn, "--apply-to-target", "-q")
	if r.code != 0 {
		t.Fatalf("validate exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "no significance test") {
		t.Errorf("one repetition must say there is no test:\n%s", r.stdout)
	}
	v := loadReport(t, dir).Recommendations
	if got := v[len(v)-1].Validation; got == nil || got.Method != "rerun" {
		t.Fatalf("validation = %+v", got)
	}
	// The "with" repetition ran with the setting in the target database
	// (the sampler records work_mem as its sessions see it).
	reps, err := filepath.Glob(filepath.Join(dir, "validate", "*", "1-with", runrec.MetaFile))
	if err != nil || len(reps) != 1 {
		t.Fatalf("with-repetition run.json: %v %v", reps, err)
	}
	var meta runrec.Meta
	if err := runrec.ReadJSON(reps[0], &meta); err != nil {
		t.Fatal(err)
	}
	if meta.Settings["work_mem"] != "64MB" {
		t.Errorf("work_mem in the with-repetition = %q, want 64MB", meta.Settings["work_mem"])
	}
	pool := pgtest.Pool(t, dsn)
	var settings, schemas int
	// Other tests share the cluster: count only this test's setting, in
	// any database (applied to the wrong one would be left there).
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_db_role_setting WHERE 'work_mem=64MB' = ANY(setconfig)`).Scan(&settings); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname = 'pgqtune'`).Scan(&schemas); err != nil {
		t.Fatal(err)
	}
	if settings != 0 || schemas != 0 {
		t.Fatalf("left behind on the target: %d database settings, %d pgqtune schemas", settings, schemas)
	}
}
