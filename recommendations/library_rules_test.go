package recommendations

import (
	"os"
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/libraries"
	"github.com/pgqtune/pgqtune/runrec"
)

// The recorded pg-boss 10.4.2 schema (testdata/catalog_pgboss.json, taken
// by TestPgBossFetchIndex with PGQTUNE_CAPTURE=1): queue "orders" in its
// partition, whose fetch index _i5 was dropped.
const bossPart = "pgboss.jba8d43b23e878f45041a862108d690d9ae86a3bcb479ad7186a06cc2"

func pgBossFixture(t *testing.T) *Input {
	t.Helper()
	b, err := os.ReadFile("testdata/pgboss_claim.sql")
	if err != nil {
		t.Fatal(err)
	}
	in := pgBossRun(bossPart, strings.TrimSpace(string(b)), -9001)
	in.Catalog = readCatalog(t, "testdata/catalog_pgboss.json")
	return in
}

func TestLibraryIndexPgBoss(t *testing.T) {
	t.Parallel()
	t.Run("dropped _i5: recreated first, on the partition, CONCURRENTLY", func(t *testing.T) {
		in := pgBossFixture(t)
		recs, notes := Recommend(in)
		want := "CREATE INDEX CONCURRENTLY IF NOT EXISTS jba8d43b23e878f45041a862108d690d9ae86a3bcb479ad7186a06cc2_i5 ON pgboss.jba8d43b23e878f45041a862108d690d9ae86a3bcb479ad7186a06cc2 (name, start_after) INCLUDE (priority, created_on, id) WHERE state < 'active';"
		if len(recs) == 0 || recs[0].SQL != want || recs[0].Target != bossPart || recs[0].Informational {
			t.Fatalf("first recommendation:\nwant %s\ngot %+v", want, recs)
		}
		if recs[0].Rollback != "DROP INDEX CONCURRENTLY IF EXISTS pgboss.jba8d43b23e878f45041a862108d690d9ae86a3bcb479ad7186a06cc2_i5;" {
			t.Errorf("rollback = %s", recs[0].Rollback)
		}
		if ix := only(recs, runrec.RecIndex); len(ix) != 1 {
			t.Errorf("only the fetch index should be recommended; got %+v", ix)
		}
		checkNoLibraryHarm(t, recs, "pgboss.")
		checkGolden(t, "pgboss_missing_i5", recs, notes)
	})
	t.Run("_i5 in place, CPU pressure: no index on the partitioned parent", func(t *testing.T) {
		in := pgBossFixture(t)
		tb := in.Catalog.Table(bossPart)
		tb.Indexes = append(tb.Indexes, Index{Name: bossPart + "_i5", Method: "btree", Columns: []string{"name", "start_after"},
			Include: []string{"priority", "created_on", "id"}, Predicate: "state < 'active'::pgboss.job_state", Valid: true})
		in.Findings = []runrec.Finding{finding("F1", "cpu_saturation")}
		recs, notes := Recommend(in)
		if ix := only(recs, runrec.RecIndex); len(ix) != 0 {
			t.Fatalf("pg-boss's own fetch index is in place; got %+v", ix)
		}
		if !strings.Contains(strings.Join(notes, "\n"), "served by pg-boss's own index") {
			t.Errorf("notes = %v", notes)
		}
		checkNoLibraryHarm(t, recs, "pgboss.")
	})
}

// graphile-worker 0.16's get_job as pg_stat_statements records it.
const graphileClaim = `with j as (
  select jobs.job_queue_id, jobs.priority, jobs.run_at, jobs.id
    from "graphile_worker"._private_jobs as jobs
    where jobs.is_available = $3
    and run_at <= now()
    and task_id = any($2::int[])
    and (
      jobs.job_queue_id is null
      or
      jobs.job_queue_id in (
        select id
        from "graphile_worker"._private_job_queues as job_queues
        where job_queues.is_available = $4
        for update
        skip locked
      )
    )
    order by priority asc, run_at asc
    limit $5
    for update
    skip locked
), q as (
  update "graphile_worker"._private_job_queues as job_queues
    set locked_by = $1::text, locked_at = now()
    from j
    where job_queues.id = j.job_queue_id
)
  update "graphile_worker"._private_jobs as jobs
    set attempts = jobs.attempts + $6, locked_by = $1::text, locked_at = now()
    from j
    where jobs.id = j.id
    returning *`

const graphileJobs = "graphile_worker._private_jobs"

// graphileFixture is graphile-worker 0.16's job table as its migrations
// leave it (columns, keys, the generated is_available), with its claim
// indexes when claimIndexes is set; 50k jobs scheduled a day ahead.
func graphileFixture(claimIndexes bool) *Catalog {
	t := TableInfo{Name: graphileJobs, Schema: "graphile_worker", Table: "_private_jobs", Kind: "table", RowWidth: 160,
		LiveTup: 50000, Reltuples: 50000, Pages: 1200,
		Columns: []Column{{Name: "id", Type: "bigint"}, {Name: "job_queue_id", Type: "integer"}, {Name: "task_id", Type: "integer"},
			{Name: "payload", Type: "json"}, {Name: "priority", Type: "smallint"}, {Name: "run_at", Type: "timestamp with time zone"},
			{Name: "attempts", Type: "smallint"}, {Name: "max_attempts", Type: "smallint"}, {Name: "last_error", Type: "text"},
			{Name: "created_at", Type: "timestamp with time zone"}, {Name: "updated_at", Type: "timestamp with time zone"},
			{Name: "key", Type: "text"}, {Name: "locked_at", Type: "timestamp with time zone"}, {Name: "locked_by", Type: "text"},
			{Name: "revision", Type: "integer"}, {Name: "flags", Type: "jsonb"}, {Name: "is_available", Type: "boolean"}},
		Indexes: []Index{
			{Name: "graphile_worker.jobs_pkey", Method: "btree", Columns: []string{"id"}, Unique: true, Primary: true, Valid: true, Constraint: "jobs_pkey", IdxScan: 90000},
			{Name: "graphile_worker.jobs_key_key", Method: "btree", Columns: []string{"key"}, Unique: true, Valid: true, Constraint: "jobs_key_key"},
		}}
	if claimIndexes {
		t.Indexes = append(t.Indexes,
			Index{Name: "graphile_worker.jobs_main_index", Method: "btree", Columns: []string{"priority", "run_at"}, Include: []string{"id", "task_id", "job_queue_id"}, Predicate: "is_available = true", Valid: true, IdxScan: 5000},
			Index{Name: "graphile_worker.jobs_no_queue_index", Method: "btree", Columns: []string{"priority", "run_at"}, Include: []string{"id", "task_id"}, Predicate: "is_available = true AND job_queue_id IS NULL", Valid: true})
	}
	return &Catalog{ServerVersionNum: 150010, Settings: map[string]Setting{}, Extensions: map[string]string{}, Tables: []TableInfo{t}}
}

func graphileRun(seq bool) *runrec.Run {
	lockQueues := "update \"graphile_worker\"._private_job_queues as job_queues set locked_by = $1::text, locked_at = now() where job_queues.id = any($2::int[])"
	run := newRun(graphileJobs).ticks(60, func(i int, s *runrec.Sample) {
		ts := runrec.TableStats{Relation: graphileJobs, Queue: true, LiveTup: 50000, DeadTup: 8000, Ins: 200, Upd: 400, HotUpd: 0, Del: 200}
		if seq {
			ts.SeqScan, ts.SeqTupRead = 200, 200*50000
		}
		s.Tables = []runrec.TableStats{ts}
		s.Statements = []runrec.StatementDelta{stmt(i, 501, graphileClaim, 200, 3000, 200, 200*1500), stmt(i, 502, lockQueues, 200, 20, 0, 400)}
		s.Indexes = []runrec.IndexStats{{Relation: graphileJobs, Index: "graphile_worker.jobs_no_queue_index"}}
		s.Activity = &runrec.Activity{ByWait: map[string]int{"CPU": 4}}
	}).run
	run.Meta.Libraries = []string{libraries.GraphileWorker}
	return run
}

func TestLibraryIndexGraphileWorker(t *testing.T) {
	t.Parallel()
	t.Run("claim indexes dropped: graphile's own indexes recreated first, none of issue 11's five", func(t *testing.T) {
		in := &Input{Run: graphileRun(true), Catalog: graphileFixture(false),
			Findings: []runrec.Finding{finding("F1", "missing_index", graphileJobs), finding("F2", "cpu_saturation"), finding("F3", "bloat", graphileJobs)}}
		recs, notes := Recommend(in)
		if len(recs) < 2 {
			t.Fatalf("recs = %+v", recs)
		}
		want := []string{
			"CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_main_index ON graphile_worker._private_jobs (priority, run_at) INCLUDE (id, task_id, job_queue_id) WHERE is_available = true;",
			"CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_no_queue_index ON graphile_worker._private_jobs (priority, run_at) INCLUDE (id, task_id) WHERE is_available = true AND job_queue_id IS NULL;",
		}
		for i, w := range want {
			if recs[i].SQL != w || recs[i].Target != graphileJobs {
				t.Errorf("R%d:\nwant %s\ngot  %s", i+1, w, recs[i].SQL)
			}
		}
		for _, r := range recs {
			if strings.Contains(r.Target+r.SQL, "_private_job_queues") {
				t.Errorf("%s targets the job-queue table: %s", r.ID, r.SQL)
			}
			if strings.Contains(r.SQL, "jobs_no_queue_index") && strings.Contains(r.SQL, "DROP") {
				t.Errorf("%s drops graphile's index: %s", r.ID, r.SQL)
			}
		}
		checkNoLibraryHarm(t, recs, "graphile_worker.")
		joined := strings.Join(notes, "\n")
		if !strings.Contains(joined, "no fillfactor can change that") {
			t.Errorf("notes should say why no fillfactor: %v", notes)
		}
		checkGolden(t, "graphile_missing_claim_indexes", recs, notes)
	})
	t.Run("claim indexes in place and one unused: nothing dropped", func(t *testing.T) {
		in := &Input{Run: graphileRun(false), Catalog: graphileFixture(true), Findings: []runrec.Finding{finding("F1", "cpu_saturation")}}
		recs, _ := Recommend(in)
		if ix := only(recs, runrec.RecIndex); len(ix) != 0 {
			t.Fatalf("got %+v", ix)
		}
		checkNoLibraryHarm(t, recs, "graphile_worker.")
	})
}

func TestLibraryIndexPgmq(t *testing.T) {
	t.Parallel()
	// The pgmq fixture was recorded from pgqtune's pgmq adapter, in schema
	// pgqtune; the extension keeps its queues in schema pgmq.
	cat := readCatalog(t, "testdata/catalog_pgmq.json")
	tb := &cat.Tables[0]
	tb.Name, tb.Schema = "pgmq.q_default", "pgmq"
	var keep []Index
	for _, ix := range tb.Indexes {
		if !strings.HasSuffix(ix.Name, "_vt_idx") {
			ix.Name = "pgmq." + bareName(ix.Name)
			keep = append(keep, ix)
		}
	}
	tb.Indexes = keep
	b, err := os.ReadFile("testdata/pgmq_read.sql")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(strings.TrimSpace(string(b)), `"pgqtune"."q_default"`, `"pgmq"."q_default"`)
	run := newRun("pgmq.q_default").ticks(30, func(i int, s *runrec.Sample) {
		s.Statements = []runrec.StatementDelta{stmt(i, 1, text, 20, 100, 20, 4000)}
		s.Tables = []runrec.TableStats{{Relation: "pgmq.q_default", Queue: true, SeqScan: 20, SeqTupRead: 20 * 5000, Upd: 40, Ins: 20}}
	}).run
	run.Meta.Libraries = []string{libraries.PGMQ}
	recs, _ := Recommend(&Input{Run: run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "missing_index", "pgmq.q_default")}})
	want := "CREATE INDEX CONCURRENTLY IF NOT EXISTS q_default_vt_idx ON pgmq.q_default (vt);"
	if len(recs) == 0 || recs[0].SQL != want {
		t.Fatalf("want first %s, got %+v", want, recs)
	}
	checkNoLibraryHarm(t, recs, "pgmq.")
}

func TestClaimIndexShapes(t *testing.T) {
	t.Parallel()
	tb := &TableInfo{Name: "public.jobs", Columns: []Column{{Name: "queue"}, {Name: "state", MostCommon: []string{"done", "pending"}}, {Name: "run_at"}}}
	for _, tc := range []struct {
		name, sql, cols, pred string
	}{
		{"IN literal list: that list is the predicate, not state = 'pending'",
			"SELECT id FROM jobs WHERE queue = $1 AND state IN ('pending', 'retry') ORDER BY run_at LIMIT 10 FOR UPDATE SKIP LOCKED", "queue,run_at", "state IN ('pending', 'retry')"},
		{"= ANY($n): no predicate the claim does not imply, no list key",
			"SELECT id FROM jobs WHERE queue = $1 AND state = ANY($2) ORDER BY run_at LIMIT 10 FOR UPDATE SKIP LOCKED", "queue,run_at", ""},
		{"state < 'active' gets its partial predicate",
			"SELECT id FROM jobs WHERE queue = $1 AND state < 'active' ORDER BY run_at LIMIT 10 FOR UPDATE SKIP LOCKED", "queue,run_at", "state < 'active'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ci := designClaimIndex(ParseStatement(1, tc.sql).Claim, "public.jobs", tb)
			if strings.Join(ci.Columns, ",") != tc.cols || ci.Predicate != tc.pred {
				t.Fatalf("design = %+v", ci)
			}
			if tc.pred != "" && covers(Index{Columns: ci.Columns, Predicate: tc.pred, Valid: true}, ci) != coversFull {
				t.Errorf("the designed index does not cover its own claim")
			}
			if covers(Index{Columns: ci.Columns, Predicate: "state = 'pending'::text", Valid: true}, ci) != coversNone && tc.pred != "" {
				t.Errorf("an index partial on state = 'pending' is not implied by %s", tc.sql)
			}
		})
	}
	t.Run("partitioned parent: ON ONLY, CONCURRENTLY per partition, ATTACH", func(t *testing.T) {
		cat := &Catalog{ServerVersionNum: 150010, Tables: []TableInfo{
			{Name: "app.jobs", Schema: "app", Table: "jobs", Kind: "partitioned", Columns: tb.Columns},
			{Name: "app.jobs_p1", Schema: "app", Table: "jobs_p1", Kind: "partition", Parent: "app.jobs", Columns: tb.Columns},
			{Name: "app.jobs_p2", Schema: "app", Table: "jobs_p2", Kind: "partition", Parent: "app.jobs", Columns: tb.Columns},
		}}
		run := newRun("app.jobs").ticks(30, func(i int, s *runrec.Sample) {
			s.Statements = []runrec.StatementDelta{stmt(i, 1, "SELECT id FROM app.jobs WHERE queue = $1 AND state = 'pending' ORDER BY run_at LIMIT $2 FOR UPDATE SKIP LOCKED", 20, 100, 20, 4000)}
			s.Tables = []runrec.TableStats{{Relation: "app.jobs", Queue: true, SeqScan: 20, SeqTupRead: 20 * 5000}}
		}).run
		recs, _ := Recommend(&Input{Run: run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "missing_index", "app.jobs")}})
		ix := only(recs, runrec.RecIndex)
		if len(ix) != 1 {
			t.Fatalf("got %+v", recs)
		}
		sql := ix[0].SQL
		for _, w := range []string{
			"CREATE INDEX IF NOT EXISTS jobs_queue_run_at_pending_pgq_idx ON ONLY app.jobs (queue, run_at) WHERE state = 'pending';",
			"CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_p1_jobs_queue_run_at_pending_pgq_idx ON app.jobs_p1 (queue, run_at) WHERE state = 'pending';",
			"ALTER INDEX app.jobs_queue_run_at_pending_pgq_idx ATTACH PARTITION app.jobs_p2_jobs_queue_run_at_pending_pgq_idx;",
		} {
			if !strings.Contains(sql, w) {
				t.Errorf("SQL lacks %q:\n%s", w, sql)
			}
		}
		if strings.Contains(sql, "CONCURRENTLY IF NOT EXISTS jobs_queue_run_at_pending_pgq_idx ON app.jobs ") {
			t.Errorf("CONCURRENTLY on the parent:\n%s", sql)
		}
	})
}

// An index pgqtune designs for a claim on a library's table (here Que's,
// with neither of its version-dependent poll indexes) says it is not the
// library's own and what the library's upgrades may do to it.
func TestAddedIndexOnLibraryTableIsLabelled(t *testing.T) {
	t.Parallel()
	cat := &Catalog{ServerVersionNum: 150010, Tables: []TableInfo{{Name: "public.que_jobs", Schema: "public", Table: "que_jobs", Kind: "table",
		Columns: []Column{{Name: "id"}, {Name: "queue"}, {Name: "priority"}, {Name: "run_at"}, {Name: "finished_at"}},
		Indexes: []Index{{Name: "public.que_jobs_pkey", Method: "btree", Columns: []string{"id"}, Primary: true, Unique: true, Valid: true},
			{Name: "public.que_jobs_data_gin_idx", Method: "gin", Columns: []string{"data"}, Valid: true},
			{Name: "public.que_jobs_args_gin_idx", Method: "gin", Columns: []string{"args"}, Valid: true}}}}}
	run := newRun("public.que_jobs").ticks(30, func(i int, s *runrec.Sample) {
		s.Statements = []runrec.StatementDelta{stmt(i, 1, "SELECT id FROM public.que_jobs WHERE queue = $1 AND run_at <= now() ORDER BY priority, run_at LIMIT $2 FOR UPDATE SKIP LOCKED", 20, 100, 20, 4000)}
		s.Tables = []runrec.TableStats{{Relation: "public.que_jobs", Queue: true, SeqScan: 20, SeqTupRead: 20 * 5000}}
	}).run
	recs, _ := Recommend(&Input{Run: run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "missing_index", "public.que_jobs")}})
	ix := only(recs, runrec.RecIndex)
	if len(ix) != 1 || !strings.Contains(ix[0].SQL, "ON public.que_jobs (queue, priority, run_at)") {
		t.Fatalf("got %+v", recs)
	}
	if !strings.Contains(ix[0].Rationale, "added by pgqtune on public.que_jobs, a table que owns") || !strings.Contains(ix[0].Risk, "Que's migrations") {
		t.Errorf("not labelled as added on a library table:\n%s\n%s", ix[0].Rationale, ix[0].Risk)
	}
}
