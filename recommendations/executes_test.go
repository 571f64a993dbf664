package recommendations

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/migrations"
	"github.com/pgqtune/pgqtune/runrec"
)

// goldenReports are the files holding recommendations the project shows as
// its output: report.json files and the rules' golden files.
var goldenReports = []string{
	"../report/testdata/golden/report.json",
	"../compare/testdata/runs/*/report.json",
	"testdata/golden/*.json",
	"../analyze/testdata/*.json",
	"../internal/faultinject/testdata/*/report.json",
	"../internal/faultinject/testdata/report.json",
}

// TestEveryRecommendationExecutes applies every recommendation the golden
// files hold, and every one the rules produce on the recorded fixtures, on
// a real cluster holding the recorded schema: each statement of its SQL
// must succeed, then each of its rollback. A recommendation with no SQL to
// run (advice in comments) must be an application change, a query rewrite
// or informational; a rollback that is not SQL (prose) is allowed only for
// those kinds too.
//
// It is not parallel: recommendations change server settings with ALTER
// SYSTEM (reset at the end), which parallel tests must not see.
func TestEveryRecommendationExecutes(t *testing.T) {
	saved := systemSettings(t)
	t.Cleanup(func() { restoreSystem(t, saved) })

	t.Run("golden files", func(t *testing.T) {
		var files []string
		for _, g := range goldenReports {
			m, err := filepath.Glob(g)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, m...)
		}
		if len(files) < 10 {
			t.Fatalf("found only %d golden files: %v", len(files), files)
		}
		for _, path := range files {
			var doc struct {
				Recommendations []runrec.Recommendation `json:"recommendations"`
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if len(doc.Recommendations) == 0 {
				continue
			}
			t.Run(strings.TrimPrefix(path, "../"), func(t *testing.T) {
				dsn, db := migratedJobDB(t)
				for _, cat := range catalogsFor(t, doc.Recommendations) {
					createFromCatalog(t, dsn, cat)
				}
				applyEach(t, dsn, Retarget(doc.Recommendations, "pgqtune", db))
			})
		}
	})

	t.Run("produced on the recorded fixtures", func(t *testing.T) {
		for _, fx := range []struct {
			name, catalog, table, claim string
		}{
			{"skiplocked", "testdata/catalog_job.json", "pgqtune.job", claimText},
			{"river", "testdata/catalog_river.json", "pgqtune.river_job", "testdata/river_claim.sql"},
			{"pgmq", "testdata/catalog_pgmq.json", "pgqtune.q_default", "testdata/pgmq_read.sql"},
		} {
			for _, xmin := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s xmin=%v", fx.name, xmin), func(t *testing.T) {
					cat := readCatalog(t, fx.catalog)
					claim := fx.claim
					if strings.HasSuffix(claim, ".sql") {
						b, err := os.ReadFile(claim)
						if err != nil {
							t.Fatal(err)
						}
						claim = string(b)
					}
					run, findings := troubledRun(fx.table, claim, 150010, xmin)
					recs, _ := Recommend(&Input{Run: run, Catalog: cat, Findings: findings})
					if len(recs) < 5 {
						t.Fatalf("only %d recommendations: %+v", len(recs), recs)
					}
					var got []string
					for _, r := range recs {
						got = append(got, r.Rule+":"+r.Target)
					}
					t.Logf("%d recommendations: %s", len(recs), strings.Join(got, "; "))
					var dsn, db string
					if fx.name == "skiplocked" {
						dsn, db = migratedJobDB(t)
					} else {
						dsn, db = catalogDB(t, cat)
					}
					applyEach(t, dsn, Retarget(recs, cat.Database, db))
				})
			}
		}
	})
}

// migratedJobDB is a fresh database holding pgqtune's skiplocked schema
// (the tables every golden file names), and its name.
func migratedJobDB(t *testing.T) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	dsn := pgtest.NewDB(t)
	if err := migrations.Up(ctx, dsn, "skiplocked", "pgqtune"); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return dsn, dbName(t, dsn)
}

func dbName(t *testing.T, dsn string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Database
}

// catalogStubs are functions a recorded index definition calls that the
// snapshot does not hold: stand-ins with the same signature, enough for the
// index to be created (their results do not matter to this test).
var catalogStubs = map[string]string{
	"river_job_state_in_bitmask": "CREATE FUNCTION %[1]sriver_job_state_in_bitmask(bit(8), %[1]sriver_job_state) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true'",
}

var nextvalSeqRe = regexp.MustCompile(`nextval\('([^']+)'::regclass\)`)

// catalogsFor returns the recorded catalogs (testdata/catalog_*.json)
// holding the tables recs act on beyond the skiplocked schema every
// database here starts with. A table no recorded catalog holds is an error:
// its golden file needs its catalog saved beside the others.
func catalogsFor(t *testing.T, recs []runrec.Recommendation) []*Catalog {
	t.Helper()
	files, err := filepath.Glob("testdata/catalog_*.json")
	if err != nil {
		t.Fatal(err)
	}
	var cats []*Catalog
	for _, f := range files {
		if !strings.HasSuffix(f, "catalog_job.json") { // the skiplocked migrations hold it
			cats = append(cats, readCatalog(t, f))
		}
	}
	// Catalogs the library rule tests build in code (the golden
	// graphile_missing_claim_indexes.json is made from this one).
	cats = append(cats, graphileFixture(false))
	var out []*Catalog
	used := map[*Catalog]bool{}
	for _, r := range recs {
		target, _, _ := strings.Cut(r.Target, ":")
		schema, _, ok := strings.Cut(target, ".")
		if !ok || strings.Contains(schema, " ") || schema == "pgqtune" {
			continue
		}
		found := false
		for _, c := range cats {
			if c.Table(target) != nil {
				found = true
				if !used[c] {
					used[c] = true
					out = append(out, c)
				}
			}
		}
		if !found {
			t.Errorf("%s targets %s, which no recorded catalog (testdata/catalog_*.json) holds: save the catalog the golden file was made from", r.ID, target)
		}
	}
	return out
}

// partitionParent is the partitioned table a partition belongs to: the one
// partitioned table of its schema in the snapshot (nil when not exactly one).
func partitionParent(cat *Catalog, tb TableInfo) *TableInfo {
	if tb.Kind != "partition" {
		return nil
	}
	var found *TableInfo
	for i := range cat.Tables {
		if p := &cat.Tables[i]; p.Kind == "partitioned" && p.Schema == tb.Schema {
			if found != nil {
				return nil
			}
			found = p
		}
	}
	return found
}

// catalogDB is a fresh database holding the tables of a catalog snapshot.
func catalogDB(t *testing.T, cat *Catalog) (string, string) {
	t.Helper()
	dsn := pgtest.NewDB(t)
	createFromCatalog(t, dsn, cat)
	return dsn, dbName(t, dsn)
}

// createFromCatalog recreates a catalog snapshot's tables on dsn: enum
// types, sequences, columns with their defaults, CHECK constraints, the
// primary key and every index from its pg_get_indexdef. A partitioned
// table is created partitioned; a partition, whose bounds the snapshot
// does not keep, is attached with a stand-in bound.
func createFromCatalog(t *testing.T, dsn string, cat *Catalog) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	exec := func(sql string) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("recreate schema: %s: %v", sql, err)
		}
	}
	// Parents first: a partition is created as one of them.
	tables := append([]TableInfo{}, cat.Tables...)
	sort.SliceStable(tables, func(i, j int) bool { return tables[i].Kind != "partition" && tables[j].Kind == "partition" })
	for _, tb := range tables {
		exec("CREATE SCHEMA IF NOT EXISTS " + quoteIdent(tb.Schema))
		var cols []string
		for _, c := range tb.Columns {
			if len(c.Labels) > 0 {
				var exists bool
				if err := conn.QueryRow(ctx, "SELECT to_regtype($1) IS NOT NULL", c.Type).Scan(&exists); err != nil {
					t.Fatal(err)
				}
				if !exists {
					var labels []string
					for _, l := range c.Labels {
						labels = append(labels, quoteLiteral(l))
					}
					exec(fmt.Sprintf("CREATE TYPE %s AS ENUM (%s)", c.Type, strings.Join(labels, ", ")))
				}
			}
			if m := nextvalSeqRe.FindStringSubmatch(c.Default); m != nil {
				exec("CREATE SEQUENCE IF NOT EXISTS " + m[1])
			}
			col := quoteIdent(c.Name) + " " + c.Type
			if c.NotNull {
				col += " NOT NULL"
			}
			if c.Default != "" {
				col += " DEFAULT " + c.Default
			}
			cols = append(cols, col)
		}
		parent := partitionParent(cat, tb)
		switch {
		case tb.Kind == "partition" && parent != nil:
			bound := "DEFAULT"
			if strings.HasPrefix(strings.ToUpper(parent.PartitionKey), "LIST") {
				bound = "FOR VALUES IN (" + quoteLiteral(tb.Table) + ")"
			}
			exec(fmt.Sprintf("CREATE TABLE %s PARTITION OF %s %s", quoteQualified(tb.Name), quoteQualified(parent.Name), bound))
		case tb.Kind == "partitioned":
			exec(fmt.Sprintf("CREATE TABLE %s (%s) PARTITION BY %s", quoteQualified(tb.Name), strings.Join(cols, ", "), tb.PartitionKey))
		default:
			exec(fmt.Sprintf("CREATE TABLE %s (%s)", quoteQualified(tb.Name), strings.Join(cols, ", ")))
		}
		if tb.Kind == "partition" && parent != nil {
			continue // constraints and indexes come from the parent
		}
		for _, chk := range tb.Checks {
			exec(fmt.Sprintf("ALTER TABLE %s ADD %s", quoteQualified(tb.Name), chk))
		}
		for _, ix := range tb.Indexes {
			for fn, def := range catalogStubs {
				if strings.Contains(ix.Definition, fn+"(") {
					exec(fmt.Sprintf(def, schemaOf(tb.Name)))
				}
			}
			if ix.Primary {
				exec(fmt.Sprintf("ALTER TABLE %s ADD PRIMARY KEY (%s)", quoteQualified(tb.Name), strings.Join(ix.Columns, ", ")))
				continue
			}
			exec(ix.Definition)
		}
	}
}

// applyEach applies each recommendation, then its rollback, on dsn.
func applyEach(t *testing.T, dsn string, recs []runrec.Recommendation) {
	t.Helper()
	for _, r := range recs {
		stmts, err := executable(r.SQL)
		if err != nil {
			t.Errorf("%s (%s %s): SQL does not parse: %v\n%s", r.ID, r.Kind, r.Target, err, r.SQL)
			continue
		}
		advice := r.Kind == runrec.RecApplication || r.Kind == runrec.RecQuery || r.Informational
		if len(stmts) == 0 {
			// Nothing to execute: advice in words (a library's own knob,
			// an application change). Its rollback must not be SQL either,
			// or the two disagree about what the change is.
			if back, err := executable(r.Rollback); err == nil && len(back) > 0 {
				t.Errorf("%s (%s %s): no SQL to run, yet a SQL rollback:\n%s", r.ID, r.Kind, r.Target, r.Rollback)
			}
			if !advice {
				t.Logf("%s (%s %s): advice with no SQL to run, not marked informational", r.ID, r.Kind, r.Target)
			}
			continue
		}
		prepareRecordedState(t, dsn, r)
		if err := runStatements(dsn, stmts); err != nil {
			t.Errorf("%s (%s %s): %v\nSQL:\n%s", r.ID, r.Kind, r.Target, err, r.SQL)
			continue
		}
		back, err := executable(r.Rollback)
		if err != nil {
			if !advice {
				t.Errorf("%s (%s %s): rollback is neither SQL nor comments: %q", r.ID, r.Kind, r.Target, r.Rollback)
			}
			continue
		}
		if err := runStatements(dsn, back); err != nil {
			t.Errorf("%s (%s %s) rollback: %v\nrollback:\n%s", r.ID, r.Kind, r.Target, err, r.Rollback)
		}
	}
}

// executable splits sql into the statements to run, leaving out those
// that are only comments.
func executable(sql string) ([]string, error) {
	if strings.TrimSpace(sql) == "" {
		return nil, nil
	}
	parts, err := pg_query.SplitWithParser(sql, true)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range parts {
		if stripComments(p) == "" {
			continue
		}
		if _, err := pg_query.Parse(p); err != nil {
			return nil, fmt.Errorf("%q: %w", p, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// runStatements runs the statements one by one on one session, outside any
// transaction block of its own (CONCURRENTLY and ALTER SYSTEM need that;
// BEGIN ... COMMIT in the statements make their own).
func runStatements(dsn string, stmts []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s, pgx.QueryExecModeSimpleProtocol); err != nil {
			return fmt.Errorf("%s: %w", truncate(s, 200), err)
		}
	}
	return nil
}

var preparedGidRe = regexp.MustCompile(`(?m)^(?:ROLLBACK|COMMIT) PREPARED '((?:[^']|'')+)'`)

// prepareRecordedState recreates what a recommendation acts on beyond the
// schema: the prepared transaction it finishes.
func prepareRecordedState(t *testing.T, dsn string, r runrec.Recommendation) {
	t.Helper()
	m := preparedGidRe.FindStringSubmatch(r.SQL)
	if m == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, s := range []string{"BEGIN", "SELECT 1", "PREPARE TRANSACTION " + quoteLiteral(strings.ReplaceAll(m[1], "''", "'"))} {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("prepare transaction %s: %s: %v", m[1], s, err)
		}
	}
}

// systemSettings reads what postgresql.auto.conf holds: the test cluster's
// own configuration (pgserver writes it there), which rollbacks of the form
// ALTER SYSTEM RESET x remove along with the recommendation's value.
func systemSettings(t *testing.T) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgtest.NewDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, "SELECT name, setting FROM pg_catalog.pg_file_settings WHERE sourcefile LIKE '%postgresql.auto.conf' AND error IS NULL")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var name, setting string
	if _, err := pgx.ForEachRow(rows, []any{&name, &setting}, func() error { out[name] = setting; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("postgresql.auto.conf holds nothing: cannot restore the cluster's settings afterwards")
	}
	return out
}

// restoreSystem puts back in postgresql.auto.conf what systemSettings
// read, touching only what differs, and reloads, so no setting a
// recommendation changed (or its rollback reset) outlives the test, and no
// restart is left pending.
func restoreSystem(t *testing.T, saved map[string]string) {
	now := systemSettings(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgtest.NewDB(t))
	if err != nil {
		t.Error(err)
		return
	}
	defer conn.Close(context.Background())
	var stmts []string
	for name := range now {
		if _, ok := saved[name]; !ok {
			stmts = append(stmts, "ALTER SYSTEM RESET "+name)
		}
	}
	for name, v := range saved {
		if cur, ok := now[name]; !ok || cur != v {
			stmts = append(stmts, fmt.Sprintf("ALTER SYSTEM SET %s = %s", name, quoteLiteral(v)))
		}
	}
	stmts = append(stmts, "SELECT pg_reload_conf()")
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	var pending []string
	if err := conn.QueryRow(ctx, "SELECT coalesce(array_agg(name), '{}') FROM pg_catalog.pg_settings WHERE pending_restart").Scan(&pending); err != nil {
		t.Error(err)
	} else if len(pending) > 0 {
		t.Errorf("restart still pending for %v after restoring postgresql.auto.conf (%v)", pending, stmts)
	}
}

// troubledRun is a 90 s run on table with every kind of trouble the rules
// answer: WAL-bound commits and forced checkpoints, dead tuples outrunning
// autovacuum, finished rows piling up with retention by big DELETEs, temp
// spills, saturated connections, lock waits; with xmin, the horizon held
// by an idle-in-transaction session, a long query, a slot, a prepared
// transaction and a standby. Findings of each cause come with it.
func troubledRun(table, claim string, version int, xmin bool) (*runrec.Run, []runrec.Finding) {
	b := newRun(table)
	b.run.Meta.ServerVersionNum = version
	b.run.Meta.Workload = map[string]any{"consumers": float64(16)}
	update := fmt.Sprintf("UPDATE %s SET last_error = $1 WHERE id = $2", table)
	del := fmt.Sprintf("DELETE FROM %s WHERE created_at < now() - $1::interval", table)
	b.ticks(90, func(i int, s *runrec.Sample) {
		s.Statements = []runrec.StatementDelta{
			stmt(i, -9001, claim, 100, 300, 100, 5000),
			stmt(i, -9002, update, 400, 40, 400, 1200),
			stmt(i, -9004, "SELECT queue, count(*) FROM "+table+" GROUP BY queue ORDER BY 2 DESC", 1, 900, 1, 5000),
		}
		s.Statements[2].TempBlksWritten = 3 * 1024
		if i%30 == 0 {
			s.Statements = append(s.Statements, stmt(i, -9003, del, 1, 900, 30000, 40000))
		}
		s.Tables = []runrec.TableStats{{Relation: table, Queue: true, LiveTup: 500000 + int64(100*i), DeadTup: int64(200 * i),
			Ins: 100, Upd: 600, HotUpd: 60, Del: 100, SeqScan: 10, SeqTupRead: 10 * 500000, Autovacuum: b2i(i%30 == 29), HeapBytes: 64 << 20, IndexBytes: 16 << 20}}
		s.WAL = &runrec.WALStats{HasStatWAL: true, Bytes: 20 << 20, LSNBytes: 20 << 20, Records: 60000, FPI: 3000, Sync: 30, SyncTimeMs: 30}
		s.Checkpointer = &runrec.CheckpointStats{Requested: b2i(i%10 == 0)}
		s.Database = &runrec.DatabaseStats{XactCommit: 300, TempBytes: 24 << 20, TempFiles: 1}
		s.Activity = &runrec.Activity{Total: 195, Active: 12, MaxConnections: 200, WorkloadIdleInXactMaxS: 2,
			ByWait:     map[string]int{"LWLock:WALWrite": 4, "IO:WALSync": 2, "Lock:transactionid": 8},
			OldestXact: &runrec.Backend{PID: 99, XactAgeS: 3, Workload: true}}
		s.Locks = &runrec.Locks{Waiting: 8}
		for k := 0; k < 8; k++ {
			s.Locks.Waits = append(s.Locks.Waits, runrec.LockWait{PID: 100 + k, LockType: "transactionid", Mode: "ShareLock", Workload: true})
		}
		if xmin {
			s.XminHolders = []runrec.XminHolder{
				{Kind: runrec.XminBackendIdleInXact, PID: 4242, Name: "psql", State: "idle in transaction", XminAge: int64(600 * i), AgeS: float64(i + 400), IdleS: float64(i + 300)},
				{Kind: runrec.XminBackendActive, PID: 4343, Name: "report", State: "active", Query: "SELECT count(*) FROM big", XminAge: int64(500 * i), AgeS: float64(i + 200)},
				{Kind: runrec.XminSlot, Name: "old_cdc", XminAge: 90000},
				{Kind: runrec.XminPrepared, Name: "tx-17", XminAge: 80000, AgeS: 3600, Query: "database pgqtune, owner app"},
				{Kind: runrec.XminStandby, PID: 555, Name: "replica1", Query: "10.0.0.2", XminAge: 70000, AgeS: 9000},
			}
		}
	})
	var fs []runrec.Finding
	causes := []string{"missing_index", "vacuum_lag", "bloat", "checkpoint_pressure", "wal_write", "io_saturation", "connection_saturation", "row_lock_contention", "lock_contention"}
	if xmin {
		causes = append(causes, "xmin_horizon")
	}
	for i, c := range causes {
		fd := finding(fmt.Sprintf("F%d", i+1), c, table)
		if c == "lock_contention" {
			fd.Summary = "AccessExclusiveLock on " + table + " held by pid 14753 for 5 s."
			fd.Evidence = []runrec.Evidence{{Signal: "pg_locks.blocker", Value: 14753, Detail: "AccessExclusiveLock on " + table + " held by pid 14753: LOCK TABLE " + table}}
		}
		fs = append(fs, fd)
	}
	return b.run, fs
}
