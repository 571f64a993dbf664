package recommendations

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/runrec"
)

// versions are the server_version_num values the gating tests replay.
var versions = []int{120000, 140000, 150000, 170000}

// accumulatingRun is steady's run with finished rows piling up on the job
// table (500k live rows while 10 wait).
func accumulatingRun(t *testing.T) (*runBuilder, *Catalog) {
	b, cat := steady(t)
	for i := range b.run.Samples {
		b.run.Samples[i].Tables[0].LiveTup = 500000 + int64(100*i)
	}
	return b, cat
}

func partitioningOf(t *testing.T, b *runBuilder, cat *Catalog) ([]runrec.Recommendation, []string) {
	t.Helper()
	recs, notes := Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "bloat", cat.Tables[0].Name)}})
	return only(recs, runrec.RecPartitioning), notes
}

func TestPartitioningSafety(t *testing.T) {
	t.Parallel()

	t.Run("never outlined for a library's table", func(t *testing.T) {
		for _, name := range []string{"pgboss.job", "graphile_worker._private_jobs", "public.que_jobs", "public.river_job", "pgmq.q_orders"} {
			b, cat := accumulatingRun(t)
			cat.Tables = cat.Tables[:1]
			cat.Tables[0].Name = name
			cat.Tables[0].Schema, cat.Tables[0].Table, _ = strings.Cut(name, ".")
			b.run.Meta.QueueTables = []string{name}
			for i := range b.run.Samples {
				b.run.Samples[i].Tables[0].Relation = name
			}
			p, notes := partitioningOf(t, b, cat)
			if len(p) != 0 || !strings.Contains(strings.Join(notes, "\n"), "would fight") {
				t.Errorf("%s: partitioning %+v, notes %v", name, p, notes)
			}
		}
		// pgmq's shape in another schema is pgmq's too.
		cat := readCatalog(t, "testdata/catalog_pgmq.json")
		run := newRun("pgqtune.q_default").ticks(60, func(i int, s *runrec.Sample) {
			s.Tables = []runrec.TableStats{{Relation: "pgqtune.q_default", Queue: true, LiveTup: 500000, Ins: 100, Del: 10}}
		}).run
		recs, _ := Recommend(&Input{Run: run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "bloat", "pgqtune.q_default")}})
		if p := only(recs, runrec.RecPartitioning); len(p) != 0 {
			t.Errorf("pgmq queue got %+v", p)
		}
	})

	t.Run("every index rebuilt from its definition, unique ones kept", func(t *testing.T) {
		b, cat := accumulatingRun(t)
		tb := cat.Table("pgqtune.job")
		tb.Indexes = append(tb.Indexes,
			Index{Name: "pgqtune.job_payload_gin", Definition: "CREATE INDEX job_payload_gin ON pgqtune.job USING gin (payload jsonb_path_ops)", Method: "gin", Columns: []string{"payload"}, Valid: true},
			Index{Name: "pgqtune.job_recent", Definition: "CREATE INDEX job_recent ON pgqtune.job USING btree (queue, created_at DESC) INCLUDE (state) WHERE (finished_at IS NULL)", Method: "btree",
				Columns: []string{"queue", "created_at"}, Desc: []bool{false, true}, Include: []string{"state"}, Predicate: "finished_at IS NULL", Valid: true},
			Index{Name: "pgqtune.job_dedupe", Definition: "CREATE UNIQUE INDEX job_dedupe ON pgqtune.job USING btree (queue, created_at, last_error)", Method: "btree",
				Columns: []string{"queue", "created_at", "last_error"}, Unique: true, Valid: true})
		p, notes := partitioningOf(t, b, cat)
		if len(p) != 1 {
			t.Fatalf("partitioning %+v notes %v", p, notes)
		}
		for _, want := range []string{
			"CREATE INDEX job_payload_gin_p ON pgqtune.job_p USING gin (payload jsonb_path_ops);",
			"CREATE INDEX job_recent_p ON pgqtune.job_p USING btree (queue, created_at DESC) INCLUDE (state) WHERE finished_at IS NULL;",
			"CREATE UNIQUE INDEX job_dedupe_p ON pgqtune.job_p USING btree (queue, created_at, last_error);",
			"CREATE INDEX job_claim_idx_p ON pgqtune.job_p USING btree (queue, priority, run_at) WHERE state = 'pending'::text;",
			"ALTER INDEX pgqtune.job_dedupe_p RENAME TO job_dedupe;",
		} {
			if !strings.Contains(p[0].SQL, want) {
				t.Errorf("outline lacks %q:\n%s", want, p[0].SQL)
			}
		}

		// A unique index without the partition key cannot survive
		// partitioning: no outline rather than a silently weaker one.
		b, cat = accumulatingRun(t)
		cat.Table("pgqtune.job").Indexes = append(cat.Table("pgqtune.job").Indexes,
			Index{Name: "pgqtune.job_key", Definition: "CREATE UNIQUE INDEX job_key ON pgqtune.job USING btree (queue, last_error)", Method: "btree", Columns: []string{"queue", "last_error"}, Unique: true, Valid: true})
		p, notes = partitioningOf(t, b, cat)
		if len(p) != 0 || !strings.Contains(strings.Join(notes, "\n"), "unique index pgqtune.job_key") {
			t.Errorf("unique without key: partitioning %+v notes %v", p, notes)
		}
	})

	t.Run("no DEFAULT partition; DETACH CONCURRENTLY only on PG14+", func(t *testing.T) {
		for _, v := range versions {
			b, cat := accumulatingRun(t)
			b.run.Meta.ServerVersionNum = v
			p, _ := partitioningOf(t, b, cat)
			if len(p) != 1 {
				t.Fatalf("%d: partitioning %+v", v, p)
			}
			if regexp.MustCompile(`(?i)PARTITION OF \S+ DEFAULT`).MatchString(p[0].SQL) {
				t.Errorf("%d: a DEFAULT partition forbids DETACH CONCURRENTLY:\n%s", v, p[0].SQL)
			}
			if got := strings.Contains(p[0].SQL, "CONCURRENTLY"); got != (v >= 140000) {
				t.Errorf("%d: CONCURRENTLY in outline = %v:\n%s", v, got, p[0].SQL)
			}
		}
	})

	t.Run("the switch starts with lock_timeout; readiness query; honest impact", func(t *testing.T) {
		b, cat := accumulatingRun(t)
		p, _ := partitioningOf(t, b, cat)
		sql := p[0].SQL
		lt, lock := strings.Index(sql, "SET lock_timeout"), strings.Index(sql, "LOCK TABLE pgqtune.job IN ACCESS EXCLUSIVE MODE")
		if lt < 0 || lock < 0 || lt > lock || !strings.Contains(sql, "retry") {
			t.Errorf("lock_timeout (at %d) must come before the lock (at %d) with a retry hint:\n%s", lt, lock, sql)
		}
		if !strings.Contains(sql, "count(*) AS unfinished FROM pgqtune.job WHERE created_at < date_trunc('day', now()) - interval '7 days' AND state NOT IN ('completed')") {
			t.Errorf("no retention-readiness query:\n%s", sql)
		}
		// steady's claim filters queue, state and run_at, not created_at.
		if strings.Contains(p[0].ExpectedImpact, "only recent partitions") || !strings.Contains(p[0].ExpectedImpact, "no predicate on created_at") {
			t.Errorf("impact claims pruning the claim cannot get: %s", p[0].ExpectedImpact)
		}
		if !strings.Contains(p[0].Rollback, "SET lock_timeout") || !strings.Contains(p[0].Rollback, "ALTER INDEX pgqtune.job_claim_idx_old RENAME TO job_claim_idx;") {
			t.Errorf("rollback = %s", p[0].Rollback)
		}
	})
}

// TestRetentionRotationLive runs the guarded rotation on a real partitioned
// queue: an old partition still holding an unfinished job stays, an old
// one holding only finished jobs goes, a current one stays.
func TestRetentionRotationLive(t *testing.T) {
	t.Parallel()
	dsn, _ := migratedJobDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, s := range []string{
		"CREATE TABLE pgqtune.pjob (LIKE pgqtune.job INCLUDING DEFAULTS) PARTITION BY RANGE (created_at)",
		"CREATE TABLE pgqtune.pjob_busy PARTITION OF pgqtune.pjob FOR VALUES FROM ('2020-01-01 00:00:00+00') TO ('2020-01-02 00:00:00+00')",
		"CREATE TABLE pgqtune.pjob_done PARTITION OF pgqtune.pjob FOR VALUES FROM ('2020-01-02 00:00:00+00') TO ('2020-01-03 00:00:00+00')",
		"CREATE TABLE pgqtune.pjob_now PARTITION OF pgqtune.pjob FOR VALUES FROM (now() - interval '1 day') TO (now() + interval '1 day')",
		"INSERT INTO pgqtune.pjob (state, created_at) VALUES ('pending', '2020-01-01 10:00+00'), ('completed', '2020-01-01 11:00+00'), ('completed', '2020-01-02 10:00+00'), ('completed', now())",
	} {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	stmts, err := executable(rotationSQL("pgqtune.pjob", "state NOT IN ('completed')", 150000))
	if err != nil {
		t.Fatal(err)
	}
	if err := runStatements(dsn, stmts); err != nil {
		t.Fatal(err)
	}
	var left []string
	if err := conn.QueryRow(ctx, "SELECT array_agg(inhrelid::regclass::text ORDER BY 1) FROM pg_inherits WHERE inhparent = 'pgqtune.pjob'::regclass").Scan(&left); err != nil {
		t.Fatal(err)
	}
	if strings.Join(left, ",") != "pgqtune.pjob_busy,pgqtune.pjob_now" {
		t.Fatalf("partitions left = %v, want the busy old one and the current one", left)
	}
	var gone bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('pgqtune.pjob_done') IS NULL").Scan(&gone); err != nil || !gone {
		t.Fatalf("finished old partition not dropped (%v)", err)
	}
}

// TestVersionGating replays one troubled run recorded on each server
// version and checks that every version-bound setting or feature appears
// exactly where the version has it.
func TestVersionGating(t *testing.T) {
	t.Parallel()
	cat := loadCatalog(t)
	for _, v := range versions {
		for _, xmin := range []bool{false, true} {
			run, fs := troubledRun("pgqtune.job", claimText, v, xmin)
			c := *cat
			c.ServerVersionNum = v
			recs, _ := Recommend(&Input{Run: run, Catalog: &c, Findings: fs})
			all := ""
			for _, r := range recs {
				all += r.SQL + "\n"
			}
			checks := []struct {
				what string
				got  bool
				want bool
			}{
				{"wal_compression = 'lz4'", strings.Contains(all, "wal_compression = 'lz4'"), v >= 150000},
				{"wal_compression = on", strings.Contains(all, "wal_compression = on"), v < 150000},
				{"DETACH ... CONCURRENTLY", strings.Contains(all, "CONCURRENTLY avoids"), v >= 140000},
				{"vacuum_truncate", strings.Contains(all, "vacuum_truncate = off"), !xmin},
			}
			if xmin {
				checks = append(checks,
					struct {
						what string
						got  bool
						want bool
					}{"max_slot_wal_keep_size", strings.Contains(all, "max_slot_wal_keep_size"), v >= 130000},
					struct {
						what string
						got  bool
						want bool
					}{"transaction_timeout", strings.Contains(all, "transaction_timeout"), v >= 170000})
			}
			for _, ck := range checks {
				if ck.got != ck.want {
					t.Errorf("version %d xmin=%v: %s present = %v, want %v", v, xmin, ck.what, ck.got, ck.want)
				}
			}
			for _, r := range recs {
				restartOnly(t, v, r)
			}
		}
	}

	t.Run("n_tup_newpage_upd sizes fillfactor from PG16", func(t *testing.T) {
		for _, v := range versions {
			b, cat := steady(t)
			b.run.Meta.ServerVersionNum = v
			const beat = "UPDATE pgqtune.job SET last_error = $1 WHERE id = $2"
			for i := range b.run.Samples {
				s := &b.run.Samples[i]
				s.Statements = append(s.Statements, stmt(i, -7020, beat, 400, 40, 400, 1200))
				s.Tables[0].Upd, s.Tables[0].HotUpd = 600, 60
			}
			tb := cat.Table("pgqtune.job")
			tb.Upd = 1000000
			if v >= 160000 || v == 170000 {
				n := int64(100000) // 10% of updates left their page
				tb.NewPageUpd = &n
			}
			recs, _ := Recommend(&Input{Run: b.run, Catalog: cat})
			ff := only(recs, runrec.RecFillfactor)
			if len(ff) != 1 {
				t.Fatalf("%d: fillfactor recs %+v", v, ff)
			}
			uses := strings.Contains(ff[0].Rationale, "n_tup_newpage_upd")
			if uses != (v >= 160000) {
				t.Errorf("%d: rationale uses n_tup_newpage_upd = %v: %s", v, uses, ff[0].Rationale)
			}
			// 0.1 / (2/3) = 15% of eligible updates lacked room: a small
			// reserve, not a full row per row (fillfactor 50).
			if v >= 160000 && !strings.Contains(ff[0].SQL, "fillfactor = 85") {
				t.Errorf("%d: %s", v, ff[0].SQL)
			}
		}
	})
}

// restartSettings need a server restart to apply.
var restartSettings = []string{"autovacuum_max_workers", "max_connections", "shared_buffers", "max_prepared_transactions", "wal_level", "max_wal_senders", "max_worker_processes"}

// restartOnly checks that a restart-only setting is never bundled with
// pg_reload_conf() and says "restart required".
func restartOnly(t *testing.T, v int, r runrec.Recommendation) {
	t.Helper()
	for _, s := range restartSettings {
		if !regexp.MustCompile(`ALTER SYSTEM SET ` + s + `\b`).MatchString(r.SQL) {
			continue
		}
		if strings.Contains(r.SQL, "pg_reload_conf") || !strings.Contains(strings.ToLower(r.SQL+r.Target+r.Rationale), "restart required") {
			t.Errorf("version %d: %s sets %s with pg_reload_conf or without 'restart required': %+v", v, r.ID, s, r)
		}
	}
}

// TestDDLSafety checks every recommendation of a troubled run: DDL that
// takes a table lock starts with SET lock_timeout (and says to retry),
// concurrent builds run with statement_timeout = 0, VACUUM FULL never
// appears without its lock warning and an online alternative.
func TestDDLSafety(t *testing.T) {
	t.Parallel()
	lockingDDL := regexp.MustCompile(`(?im)^\s*(ALTER TABLE|LOCK TABLE|ALTER INDEX)\b`)
	concurrent := regexp.MustCompile(`(?im)^\s*REINDEX\b.*\bCONCURRENTLY\b`)
	for _, xmin := range []bool{false, true} {
		run, fs := troubledRun("pgqtune.job", claimText, 150010, xmin)
		cat := loadCatalog(t)
		// A bloated claim index, for the REINDEX rule.
		for i := range cat.Tables[0].Indexes {
			if cat.Tables[0].Indexes[i].Name == "pgqtune.job_claim_idx" {
				cat.Tables[0].Indexes[i].SizeBytes = 400 << 20
			}
		}
		recs, _ := Recommend(&Input{Run: run, Catalog: cat, Findings: fs})
		seen := map[string]bool{}
		for _, r := range recs {
			for _, part := range []struct{ name, sql string }{{"SQL", r.SQL}, {"rollback", r.Rollback}} {
				stmts, err := executable(part.sql)
				if err != nil {
					continue // prose rollbacks of application advice
				}
				lockSet, noTimeout := false, false
				for _, s := range stmts {
					body := stripComments(s)
					switch {
					case strings.HasPrefix(body, "SET lock_timeout"):
						lockSet = true
					case strings.HasPrefix(body, "SET statement_timeout = 0"):
						noTimeout = true
					case lockingDDL.MatchString(body):
						seen["lock"] = true
						if !lockSet {
							t.Errorf("%s %s (%s): %q runs without SET lock_timeout first:\n%s", r.ID, part.name, r.Rule, body, part.sql)
						}
					case concurrent.MatchString(body):
						seen["concurrent"] = true
						if !noTimeout {
							t.Errorf("%s %s: %q runs without SET statement_timeout = 0:\n%s", r.ID, part.name, body, part.sql)
						}
					}
				}
				if lockSet && !strings.Contains(part.sql, "retry") {
					t.Errorf("%s %s: lock_timeout without a retry hint", r.ID, part.name)
				}
			}
			text := r.SQL + r.Rationale + r.ExpectedImpact + r.Risk + r.Rollback
			if strings.Contains(text, "VACUUM FULL") && (!strings.Contains(text, "ACCESS EXCLUSIVE") || !strings.Contains(text, "pg_repack")) {
				t.Errorf("%s mentions VACUUM FULL without its lock warning and pg_repack: %s", r.ID, text)
			}
		}
		if !seen["lock"] || !xmin && !seen["concurrent"] {
			t.Errorf("xmin=%v: the run exercised too little DDL: %v", xmin, seen)
		}
	}
}

func TestXminHorizonSizing(t *testing.T) {
	t.Parallel()
	run := func(h runrec.XminHolder, gap float64, version int) ([]runrec.Recommendation, []string) {
		b, cat := steady(t)
		b.run.Meta.ServerVersionNum = version
		for i := range b.run.Samples {
			b.run.Samples[i].XminHolders = []runrec.XminHolder{h}
			b.run.Samples[i].Activity.WorkloadIdleInXactMaxS = gap
		}
		return Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "xmin_horizon")}})
	}
	target := func(recs []runrec.Recommendation, suffix string) *runrec.Recommendation {
		for i := range recs {
			if strings.HasSuffix(recs[i].Target, suffix) {
				return &recs[i]
			}
		}
		return nil
	}
	idle := runrec.XminHolder{Kind: runrec.XminBackendIdleInXact, PID: 77, Name: "app", XminAge: 90000, AgeS: 3600, IdleS: 200}

	t.Run("sized from idle time, not transaction age", func(t *testing.T) {
		recs, _ := run(idle, 0, 150000)
		r := target(recs, "idle_in_transaction_session_timeout")
		// Idle 200 s -> 100 s; from xact_start (3600 s) it would be 10min.
		if r == nil || !strings.Contains(r.SQL, "= '100s'") || !strings.Contains(r.Rationale, "state_change") {
			t.Fatalf("got %+v", r)
		}
	})
	t.Run("above the workload's own idle gaps", func(t *testing.T) {
		recs, _ := run(idle, 80, 150000)
		if r := target(recs, "idle_in_transaction_session_timeout"); r == nil || !strings.Contains(r.SQL, "= '160s'") || !strings.Contains(r.Rationale, "80 s") {
			t.Fatalf("gap 80 s: got %+v", r)
		}
		recs, notes := run(idle, 150, 150000)
		if r := target(recs, "idle_in_transaction_session_timeout"); r != nil || !strings.Contains(strings.Join(notes, "\n"), "no idle_in_transaction_session_timeout ends the one without the others") {
			t.Fatalf("gap 150 s of a 200 s offender: rec %+v notes %v", r, notes)
		}
	})
	t.Run("transaction_timeout on PG17 only", func(t *testing.T) {
		for _, v := range versions {
			recs, _ := run(idle, 0, v)
			if got := target(recs, "transaction_timeout") != nil; got != (v >= 170000) {
				t.Errorf("%d: transaction_timeout rec = %v", v, got)
			}
		}
	})
	t.Run("a standby's hot_standby_feedback", func(t *testing.T) {
		recs, _ := run(runrec.XminHolder{Kind: runrec.XminStandby, PID: 555, Name: "replica1", Query: "10.0.0.2", XminAge: 70000}, 0, 150000)
		r := target(recs, "hot_standby_feedback")
		if r == nil || !strings.Contains(r.SQL, "on the standby replica1") || !strings.Contains(r.SQL, "hot_standby_feedback = off") || !strings.Contains(r.Rationale, "backend_xmin") {
			t.Fatalf("got %+v", recs)
		}
	})
}

func TestSizingFromTheRun(t *testing.T) {
	t.Parallel()
	t.Run("commit_delay left out without measured sync times", func(t *testing.T) {
		b, cat := steady(t)
		for i := range b.run.Samples {
			b.run.Samples[i].Activity.ByWait = map[string]int{"LWLock:WALWrite": 4, "IO:WALSync": 2}
		}
		recs, notes := Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "wal_write")}})
		for _, r := range recs {
			if strings.Contains(r.SQL, "commit_delay") {
				t.Fatalf("commit_delay without a measured flush time: %+v", r)
			}
		}
		if !strings.Contains(strings.Join(notes, "\n"), "track_wal_io_timing") {
			t.Fatalf("notes %v", notes)
		}
	})
	t.Run("max_wal_size covers the checkpoint_timeout it recommends", func(t *testing.T) {
		run, fs := troubledRun("pgqtune.job", claimText, 150010, false)
		recs, _ := Recommend(&Input{Run: run, Catalog: loadCatalog(t), Findings: fs})
		for _, r := range recs {
			if r.Target == "server: checkpoints" {
				// 20 MB/s × 900 s × 1.9 × 1.5 = 51300 MB -> 64GB.
				if !strings.Contains(r.SQL, "checkpoint_timeout = '15min'") || !strings.Contains(r.SQL, "max_wal_size = '64GB'") {
					t.Fatalf("got %s", r.SQL)
				}
				return
			}
		}
		t.Fatal("no checkpoint recommendation")
	})
}

func TestMissingRules(t *testing.T) {
	t.Parallel()
	run, fs := troubledRun("pgqtune.job", claimText, 150010, false)
	recs, _ := Recommend(&Input{Run: run, Catalog: loadCatalog(t), Findings: fs})
	byTarget := map[string]runrec.Recommendation{}
	for _, r := range recs {
		byTarget[r.Target] = r
	}
	pool, ok := byTarget["connection pool"]
	if !ok || !strings.Contains(pool.Risk, "LISTEN") || !strings.Contains(pool.Risk, "advisory locks") || !strings.Contains(pool.SQL, "default_pool_size = 14") {
		t.Errorf("connection pool rec: %+v", pool)
	}
	// The rollback restores the recorded 200 (set in a configuration
	// file), not the built-in default a RESET would fall back to.
	if mc, ok := byTarget["server: max_connections (restart required)"]; !ok || strings.Contains(mc.SQL, "pg_reload_conf") || !strings.Contains(mc.SQL, "max_connections = 250;") ||
		!strings.HasPrefix(mc.Rollback, "ALTER SYSTEM SET max_connections = '200';") {
		t.Errorf("max_connections rec: %+v", mc)
	}
	var truncate, delay bool
	for _, r := range recs {
		if r.Target == "pgqtune.job" {
			truncate = truncate || strings.Contains(r.SQL, "vacuum_truncate = off")
			delay = delay || strings.Contains(r.SQL, "autovacuum_vacuum_cost_delay = 0")
		}
	}
	if !truncate || !delay {
		t.Errorf("hot queue table: vacuum_truncate = off %v, cost_delay = 0 %v: %+v", truncate, delay, recs)
	}
	ul, ok := byTarget["pgqtune.job: unlogged"]
	if !ok || !ul.Informational || !strings.Contains(ul.SQL, "SET UNLOGGED") || !strings.Contains(ul.Risk, "crash") || !strings.Contains(ul.Risk, "not replicated") {
		t.Errorf("unlogged rec: %+v", ul)
	}
	ret, ok := byTarget["pgqtune.job: retention"]
	if !ok || !strings.Contains(ret.SQL, "LIMIT 5000 FOR UPDATE SKIP LOCKED") || !strings.Contains(ret.SQL, "INSERT INTO pgqtune.job_archive") {
		t.Errorf("retention rec: %+v", ret)
	}

	// A library's table gets neither rewrite nor retention DELETE.
	cat := readCatalog(t, "testdata/catalog_river.json")
	run, fs = troubledRun("pgqtune.river_job", claimText, 150010, false)
	recs, _ = Recommend(&Input{Run: run, Catalog: cat, Findings: fs})
	for _, r := range recs {
		if r.Rule == "unlogged" || r.Rule == "partitioning" || r.Rule == "retention" {
			t.Errorf("River's table got %s: %s", r.Rule, r.SQL)
		}
	}
}

func TestRetentionOnPartitionedTable(t *testing.T) {
	t.Parallel()
	b, cat := accumulatingRun(t)
	tb := cat.Table("pgqtune.job")
	tb.Kind, tb.PartitionKey, tb.Partitions = "partitioned", "RANGE (created_at)", 9
	for _, v := range versions {
		b.run.Meta.ServerVersionNum = v
		recs, _ := Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "bloat", "pgqtune.job")}})
		var rot []runrec.Recommendation
		for _, r := range recs {
			if r.Rule == "retention" {
				rot = append(rot, r)
			}
			if r.Rule == "partitioning" {
				t.Errorf("%d: an already partitioned table got an outline", v)
			}
		}
		if len(rot) != 1 || !strings.Contains(rot[0].SQL, "still holds unfinished jobs, kept") || !strings.Contains(rot[0].SQL, "state NOT IN (''completed'')") ||
			strings.Contains(rot[0].SQL, "CONCURRENTLY") != (v >= 140000) {
			t.Errorf("%d: retention = %+v", v, rot)
		}
	}
}
