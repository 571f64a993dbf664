package recommendations

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/libraries"
	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sqlload/adapter/pgboss"
)

// pgBossDB is a database whose pgboss schema real pg-boss 10.4.2 created
// (queue "orders", one partition), with finished jobs piled up and the
// queue partition's fetch index <partition>_i5 dropped.
type pgBossDB struct {
	dsn, part string // part is the queue's partition, schema-qualified
	claim     string // the fetch as pg_stat_statements normalized it
	qid       int64
	cat       *Catalog
}

func newPgBossDB(t *testing.T) *pgBossDB {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("pg-boss 10.4.2 needs Node.js and npm (%s not found): skipped", tool)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	dsn := pgtest.NewDB(t)
	if err := pgboss.Install(ctx, dsn, "pgboss", []string{"orders"}); err != nil {
		t.Skipf("pg-boss 10.4.2 could not be installed or started: %v", err)
	}
	pool := pgtest.Pool(t, dsn)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	q := &pgBossDB{dsn: dsn}
	if err := pool.QueryRow(ctx, `SELECT 'pgboss.' || partition_name FROM pgboss.queue WHERE name = 'orders'`).Scan(&q.part); err != nil {
		t.Fatal(err)
	}
	exec(`INSERT INTO pgboss.job (name, data, state, started_on, completed_on)
	      SELECT 'orders', '{"x": 1}', 'completed', now(), now() FROM generate_series(1, 40000)`)
	exec(`INSERT INTO pgboss.job (name, data) SELECT 'orders', '{"x": 1}' FROM generate_series(1, 300)`)
	exec(`DROP INDEX ` + q.part + `_i5`)
	exec(`ANALYZE pgboss.job`)
	b, err := os.ReadFile("../sqlload/adapter/pgboss/sql/pgboss_fetch.sql")
	if err != nil {
		t.Fatal(err)
	}
	// This database's entries only: a reset of all of them (the tests run
	// in parallel on one cluster) emptied another test's between its claim
	// and its read (make test-stress: "no rows in result set").
	exec(`SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)`)
	exec(strings.ReplaceAll(string(b), "{schema}", "pgboss"), "orders", 10)
	if err := pool.QueryRow(ctx, `SELECT queryid, query FROM pg_stat_statements WHERE query LIKE '%FOR UPDATE SKIP LOCKED%' AND query LIKE '%pgboss.job%'
	      AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&q.qid, &q.claim); err != nil {
		t.Fatalf("read the fetch from pg_stat_statements: %v", err)
	}
	if q.cat, err = SnapshotCatalog(ctx, dsn, []string{"pgboss.job"}); err != nil {
		t.Fatal(err)
	}
	return q
}

// pgBossRun is a run of pg-boss fetching from the partition without its
// fetch index: every fetch scans the partition.
func pgBossRun(part, claim string, qid int64) *Input {
	run := newRun("pgboss.job").ticks(30, func(i int, s *runrec.Sample) {
		s.Statements = []runrec.StatementDelta{stmt(i, qid, claim, 50, 900, 50, 40000)}
		s.Tables = []runrec.TableStats{{Relation: part, Queue: true, LiveTup: 40300, DeadTup: 2000,
			SeqScan: 50, SeqTupRead: 50 * 40300, Ins: 50, Upd: 100, HotUpd: 0}}
	}).run
	run.Meta.Libraries = []string{libraries.PGBoss}
	return &Input{Run: run, Findings: []runrec.Finding{finding("F1", "missing_index", part)}}
}

// TestPgBossFetchIndex: pg-boss v10 with its fetch index dropped gets that
// index back, first, on the queue's partition, CONCURRENTLY; hypopg shows
// the claim's generic plan uses it; built for real, EXPLAIN of the
// recorded claim under force_generic_plan uses it.
func TestPgBossFetchIndex(t *testing.T) {
	t.Parallel()
	q := newPgBossDB(t)
	if os.Getenv("PGQTUNE_CAPTURE") == "1" {
		// testdata/catalog_pgboss.json and pgboss_claim.sql feed the
		// offline rule tests.
		c := *q.cat
		c.SnapshotAt = time.Date(2026, 1, 2, 3, 5, 0, 0, time.UTC)
		c.Database = "pgqtune"
		b, _ := json.MarshalIndent(&c, "", "  ")
		os.WriteFile("testdata/catalog_pgboss.json", append(b, '\n'), 0o644)
		os.WriteFile("testdata/pgboss_claim.sql", []byte(q.claim+"\n"), 0o644)
	}
	in := pgBossRun(q.part, q.claim, q.qid)
	in.Catalog = q.cat
	recs, notes := Recommend(in)
	partName := bareName(q.part)
	want := "CREATE INDEX CONCURRENTLY IF NOT EXISTS " + partName + "_i5 ON " + q.part +
		" (name, start_after) INCLUDE (priority, created_on, id) WHERE state < 'active';"
	if len(recs) == 0 || recs[0].SQL != want || recs[0].Target != q.part {
		t.Fatalf("first recommendation is not the fetch index on the partition:\nwant %s\ngot %+v\nnotes %v", want, recs, notes)
	}
	checkNoLibraryHarm(t, recs, "pgboss.")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	recs, hnotes := ValidateWithHypopg(ctx, q.dsn, in, recs)
	if len(recs) == 0 || recs[0].SQL != want || recs[0].Validation == nil || !strings.Contains(recs[0].Validation.Note, "the plan uses it") {
		t.Fatalf("hypopg check: recs %+v, notes %v", recs, hnotes)
	}
	usedByGenericPlan(t, q.dsn, in, recs)
}

// usedByGenericPlan builds every index recommendation for real and checks
// that EXPLAIN of the recorded claim, prepared with its $n and planned
// generically, uses each one.
func usedByGenericPlan(t *testing.T, dsn string, in *Input, recs []runrec.Recommendation) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	pool := pgtest.Pool(t, dsn)
	f := newFacts(in)
	n := 0
	for _, r := range recs {
		m := indexNameRe.FindStringSubmatch(r.SQL)
		if r.Kind != runrec.RecIndex || m == nil || !strings.HasPrefix(r.SQL, "CREATE") {
			continue
		}
		n++
		if _, err := pool.Exec(ctx, r.SQL); err != nil {
			t.Fatalf("%s does not execute: %v", r.SQL, err)
		}
		conn, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		name := nextStmtName()
		prepare := PrepareClaim(name, f.Claim.Text, f.Claim.Claim, indexPredicate(r.SQL))
		var types []string
		for _, s := range []string{"SET plan_cache_mode = force_generic_plan", prepare} {
			if _, err := conn.Exec(ctx, s); err != nil {
				conn.Release()
				t.Fatalf("%s: %v", s, err)
			}
		}
		if err := conn.QueryRow(ctx, "SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = $1", name).Scan(&types); err != nil {
			t.Fatal(err)
		}
		var plan string
		err = conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) EXECUTE "+name+"("+strings.Join(paramValues(f, types, r.Target), ", ")+")").Scan(&plan)
		conn.Exec(ctx, "RESET plan_cache_mode")
		conn.Release()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(plan, `"`+strings.Trim(m[1], `"`)+`"`) {
			t.Errorf("the generic plan of the claim does not use %s:\n%s", m[1], plan)
		}
	}
	if n == 0 {
		t.Fatal("no index recommendation to check")
	}
}

// checkNoLibraryHarm fails on advice that issue 11 found wrong for a
// library: CONCURRENTLY on a partitioned parent, dropping a library index,
// rewriting or partitioning a library table, fillfactor, LISTEN advice or
// query rewrites of the library's statements.
func checkNoLibraryHarm(t *testing.T, recs []runrec.Recommendation, schema string) {
	t.Helper()
	for _, r := range recs {
		up := strings.ToUpper(r.SQL)
		switch {
		case strings.Contains(r.SQL, "CONCURRENTLY") && strings.Contains(r.SQL, " ON pgboss.job "):
			t.Errorf("%s: CONCURRENTLY on the partitioned parent: %s", r.ID, r.SQL)
		case strings.Contains(up, "DROP INDEX") && r.Rule != "library_index" && r.Rule != "index":
			t.Errorf("%s drops an index: %s", r.ID, r.SQL)
		case strings.HasPrefix(up, "DROP INDEX"):
			if p := libraries.ForTable(r.Target); p != nil && p.OwnsIndex(r.Target, r.Target) {
				t.Errorf("%s drops a library index: %s", r.ID, r.SQL)
			}
		case r.Kind == runrec.RecFillfactor || r.Kind == runrec.RecPartitioning && strings.Contains(r.Target, schema):
			t.Errorf("%s: %s on a library table: %s", r.ID, r.Kind, r.SQL)
		case r.Kind == runrec.RecQuery:
			t.Errorf("%s rewrites the library's statement: %s", r.ID, r.SQL)
		case strings.Contains(up, "LISTEN") || strings.Contains(up, "PG_NOTIFY"):
			t.Errorf("%s: LISTEN/NOTIFY advice: %s", r.ID, r.SQL)
		}
		if strings.Contains(up, "DROP INDEX") && !strings.Contains(up, "CONCURRENTLY") && r.Rule != "" {
			t.Errorf("%s: DROP INDEX without CONCURRENTLY: %s", r.ID, r.SQL)
		}
		if strings.Contains(r.Rollback, "DROP INDEX") && !strings.Contains(r.Rollback, "CONCURRENTLY") && !strings.Contains(r.Rollback, "partitioned index") {
			t.Errorf("%s: rollback without CONCURRENTLY: %s", r.ID, r.Rollback)
		}
	}
}
