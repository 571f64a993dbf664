package recommendations

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/runrec"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from the current output")

// Normalized statement texts as pg_stat_statements records them for the
// skiplocked adapter.
const (
	claimText = "/* pgqtune skiplocked claim */\nUPDATE pgqtune.job AS j SET state = $3, attempts = j.attempts + $4, started_at = now() " +
		"FROM (SELECT id FROM pgqtune.job WHERE queue = $1 AND state = $5 AND run_at <= now() ORDER BY priority, run_at LIMIT $2 FOR UPDATE SKIP LOCKED) AS c " +
		"WHERE j.id = c.id RETURNING j.id, j.attempts, j.run_at"
	completeText = "UPDATE pgqtune.job SET state = $1, finished_at = now() WHERE id = ANY($2)"
	enqueueText  = "INSERT INTO pgqtune.job (queue, priority, payload) SELECT $1, $2, x FROM unnest($3::jsonb[]) x"
	qClaim       = int64(-7001)
	qComplete    = int64(-7002)
	qEnqueue     = int64(-7003)
)

func loadCatalog(t *testing.T) *Catalog {
	t.Helper()
	var c Catalog
	b, err := os.ReadFile("testdata/catalog_job.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

// steady is a healthy 90 s skiplocked run: 100 jobs/s claimed in batches
// of 10 through job_claim_idx, dead tuples kept low by autovacuum.
func steady(t *testing.T) (*runBuilder, *Catalog) {
	b := newRun("pgqtune.job").ticks(90, func(i int, s *runrec.Sample) {
		s.Statements = []runrec.StatementDelta{
			stmt(i, qClaim, claimText, 10, 3, 100, 60),
			stmt(i, qComplete, completeText, 10, 2, 100, 300),
			stmt(i, qEnqueue, enqueueText, 10, 2, 100, 200),
		}
		s.Tables = []runrec.TableStats{{Relation: "pgqtune.job", Queue: true, LiveTup: 20200 + int64(100*i), DeadTup: int64(50 * (i % 30)),
			Ins: 100, Upd: 200, HotUpd: 0, IdxScan: 110, IdxTupFetch: 300, Autovacuum: b2i(i%30 == 29), HeapBytes: 4 << 20, IndexBytes: 1 << 20}}
		s.Indexes = []runrec.IndexStats{
			{Relation: "pgqtune.job", Index: "pgqtune.job_claim_idx", SizeBytes: 16384, IdxScan: 10},
			{Relation: "pgqtune.job", Index: "pgqtune.job_pkey", SizeBytes: 475136, IdxScan: 100},
		}
		s.WAL = &runrec.WALStats{LSNBytes: 1 << 20, HasStatWAL: true, Bytes: 1 << 20, Records: 3000, FPI: 20}
		s.Checkpointer = &runrec.CheckpointStats{}
		s.Database = &runrec.DatabaseStats{XactCommit: 30}
		s.Activity = &runrec.Activity{Total: 12, Active: 3, ByWait: map[string]int{"CPU": 3}}
		s.Locks = &runrec.Locks{}
	})
	return b, loadCatalog(t)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// dropIndex removes an index from the catalog fixture.
func dropIndex(c *Catalog, table, index string) {
	tb := c.Table(table)
	var keep []Index
	for _, ix := range tb.Indexes {
		if ix.Name != index {
			keep = append(keep, ix)
		}
	}
	tb.Indexes = keep
}

type golden struct {
	Recommendations []runrec.Recommendation `json:"recommendations"`
	Notes           []string                `json:"notes"`
}

// checkGolden compares recs and notes with testdata/golden/name.json.
func checkGolden(t *testing.T, name string, recs []runrec.Recommendation, notes []string) {
	t.Helper()
	got, err := json.MarshalIndent(golden{recs, notes}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if strings.TrimSpace(string(want)) != strings.TrimSpace(string(got)) {
		t.Errorf("%s differs from golden (go test -update rewrites it); got:\n%s", path, got)
	}
}

func only(recs []runrec.Recommendation, kind string) []runrec.Recommendation {
	var out []runrec.Recommendation
	for _, r := range recs {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

func actionable(recs []runrec.Recommendation) []runrec.Recommendation {
	var out []runrec.Recommendation
	for _, r := range recs {
		if !r.Informational {
			out = append(out, r)
		}
	}
	return out
}

func TestRecommend(t *testing.T) {
	t.Parallel()

	t.Run("steady well-tuned run gets nothing to act on", func(t *testing.T) {
		b, cat := steady(t)
		recs, notes := Recommend(&Input{Run: b.run, Catalog: cat})
		if a := actionable(recs); len(a) != 0 {
			t.Fatalf("steady run got %d recommendations: %+v", len(a), a)
		}
		checkGolden(t, "steady", recs, notes)
	})

	t.Run("deterministic", func(t *testing.T) {
		b, cat := steady(t)
		dropIndex(cat, "pgqtune.job", "pgqtune.job_claim_idx")
		in := &Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "missing_index", "pgqtune.job"), finding("F2", "vacuum_lag", "pgqtune.job")}}
		a, _ := Recommend(in)
		for k := 0; k < 5; k++ {
			c, _ := Recommend(in)
			x, _ := json.Marshal(a)
			y, _ := json.Marshal(c)
			if string(x) != string(y) {
				t.Fatal("two calls on the same input differ")
			}
		}
	})

	t.Run("missing claim index: partial index in claim order", func(t *testing.T) {
		b, cat := steady(t)
		dropIndex(cat, "pgqtune.job", "pgqtune.job_claim_idx")
		for i := range b.run.Samples {
			s := &b.run.Samples[i]
			s.Tables[0].SeqScan, s.Tables[0].SeqTupRead = 10, 10*20200
			s.Statements[0].SharedBlksHit = 10 * 300
			s.Indexes = s.Indexes[1:]
		}
		recs, notes := Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "missing_index", "pgqtune.job")}})
		ix := only(recs, runrec.RecIndex)
		if len(ix) != 1 {
			t.Fatalf("index recs = %+v", ix)
		}
		want := "CREATE INDEX CONCURRENTLY IF NOT EXISTS job_queue_priority_run_at_pending_pgq_idx ON pgqtune.job (queue, priority, run_at) WHERE state = 'pending';"
		if ix[0].SQL != want || ix[0].Informational || strings.Join(ix[0].FindingIDs, ",") != "F1" {
			t.Fatalf("got %q (informational %v, findings %v), want %q", ix[0].SQL, ix[0].Informational, ix[0].FindingIDs, want)
		}
		for _, s := range []string{"HOT trade-off", "0% of them HOT", "20200 rows per claim"} {
			if !strings.Contains(ix[0].Rationale, s) {
				t.Errorf("rationale lacks %q: %s", s, ix[0].Rationale)
			}
		}
		if !strings.HasPrefix(ix[0].Rollback, "DROP INDEX CONCURRENTLY IF EXISTS pgqtune.job_queue_priority") {
			t.Errorf("rollback = %q", ix[0].Rollback)
		}
		checkGolden(t, "missing_index", recs, notes)
	})

	t.Run("missing claim index on a partitioned table: ON ONLY the parent, CONCURRENTLY per partition, ATTACH", func(t *testing.T) {
		b, cat := steady(t)
		dropIndex(cat, "pgqtune.job", "pgqtune.job_claim_idx")
		for i := range cat.Tables {
			if cat.Tables[i].Name == "pgqtune.job" {
				cat.Tables[i].Kind, cat.Tables[i].Partitions = "partitioned", 3
			}
		}
		for i := range b.run.Samples {
			s := &b.run.Samples[i]
			s.Tables[0].SeqScan, s.Tables[0].SeqTupRead = 10, 10*20200
			s.Indexes = s.Indexes[1:]
		}
		recs, _ := Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "missing_index", "pgqtune.job")}})
		ix := only(recs, runrec.RecIndex)
		if len(ix) != 1 {
			t.Fatalf("index recs = %+v", ix)
		}
		// Postgres refuses CONCURRENTLY on a partitioned parent: the
		// parent gets ON ONLY, the partitions CONCURRENTLY, then ATTACH.
		for _, line := range strings.Split(ix[0].SQL, "\n") {
			if strings.Contains(line, "ON pgqtune.job ") && strings.Contains(line, "CONCURRENTLY") && !strings.HasPrefix(line, "--") {
				t.Fatalf("CONCURRENTLY on the partitioned parent: %q", ix[0].SQL)
			}
		}
		if !strings.Contains(ix[0].SQL, "ON ONLY pgqtune.job (queue, priority, run_at) WHERE state = 'pending';") ||
			!strings.Contains(ix[0].SQL, "ATTACH PARTITION") || !strings.HasPrefix(ix[0].Rollback, "DROP INDEX IF EXISTS pgqtune.job_queue_priority") {
			t.Fatalf("got %q, rollback %q", ix[0].SQL, ix[0].Rollback)
		}
	})

	t.Run("index in filter order but not claim order is not a cover", func(t *testing.T) {
		b, cat := steady(t)
		tb := cat.Table("pgqtune.job")
		for i := range tb.Indexes {
			if tb.Indexes[i].Name == "pgqtune.job_claim_idx" {
				tb.Indexes[i].Columns = []string{"queue", "run_at"}
			}
		}
		recs, _ := Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "missing_index", "pgqtune.job")}})
		ix := only(recs, runrec.RecIndex)
		if len(ix) != 1 || !strings.Contains(ix[0].Rationale, "matches the filter but not the claim order") {
			t.Fatalf("recs = %+v", ix)
		}
	})

	t.Run("existing full index on state then claim order covers it", func(t *testing.T) {
		b, cat := steady(t)
		tb := cat.Table("pgqtune.job")
		for i := range tb.Indexes {
			if tb.Indexes[i].Name == "pgqtune.job_claim_idx" {
				tb.Indexes[i].Columns = []string{"state", "queue", "priority", "run_at"}
				tb.Indexes[i].Predicate = ""
			}
		}
		recs, _ := Recommend(&Input{Run: b.run, Catalog: cat})
		if ix := only(recs, runrec.RecIndex); len(ix) != 0 {
			t.Fatalf("covered claim got %+v", ix)
		}
	})

	t.Run("autovacuum disabled: per-table settings sized from dead tuples per minute", func(t *testing.T) {
		b, cat := steady(t)
		cat.Table("pgqtune.job").Reloptions = []string{"autovacuum_enabled=false"}
		for i := range b.run.Samples {
			s := &b.run.Samples[i]
			s.Tables[0].DeadTup = int64(200 * i)
			s.Tables[0].Autovacuum = 0
		}
		recs, notes := Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "vacuum_lag", "pgqtune.job")}})
		av := only(recs, runrec.RecAutovacuum)
		if len(av) != 1 {
			t.Fatalf("autovacuum recs = %+v", av)
		}
		// 200 updates/s = 12000 dead tuples/min; naptime 60 s -> threshold 6000 rounded up to 10000.
		want := lockTimeoutSQL + "ALTER TABLE pgqtune.job SET (autovacuum_enabled = on, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000, autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 10000);"
		if av[0].SQL != want || strings.Join(av[0].FindingIDs, ",") != "F1" {
			t.Fatalf("got %q, want %q", av[0].SQL, want)
		}
		if !strings.Contains(av[0].Rollback, "RESET (autovacuum_enabled") {
			t.Errorf("rollback = %q", av[0].Rollback)
		}
		checkGolden(t, "vacuum_lag", recs, notes)
	})

	t.Run("several tables behind: server-wide naptime and workers too", func(t *testing.T) {
		b, cat := steady(t)
		b.run.Meta.QueueTables = []string{"pgqtune.job", "pgqtune.job_archive"}
		for i := range b.run.Samples {
			s := &b.run.Samples[i]
			s.Tables[0].DeadTup, s.Tables[0].Autovacuum = int64(200*i), 0
			s.Tables = append(s.Tables, runrec.TableStats{Relation: "pgqtune.job_archive", Queue: true, LiveTup: 50000, DeadTup: int64(100 * i), Ins: 100, Del: 100})
		}
		cat.Settings["autovacuum_max_workers"] = Setting{Value: "2", Context: "postmaster"}
		recs, _ := Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "vacuum_lag", "pgqtune.job"), finding("F2", "vacuum_lag", "pgqtune.job_archive")}})
		av := only(recs, runrec.RecAutovacuum)
		if len(av) != 4 || av[3].Target != "server" {
			t.Fatalf("autovacuum recs = %+v", av)
		}
		for _, s := range []string{"autovacuum_naptime = '15s'", "pg_reload_conf()"} {
			if !strings.Contains(av[3].SQL, s) {
				t.Errorf("server SQL lacks %q:\n%s", s, av[3].SQL)
			}
		}
		// A restart-only setting is never bundled with pg_reload_conf().
		if w := av[2]; !strings.Contains(w.SQL, "autovacuum_max_workers = 3") || strings.Contains(w.SQL, "pg_reload_conf") || !strings.Contains(w.Rationale, "Restart required") {
			t.Errorf("max_workers rec = %+v", w)
		}
		for _, r := range recs {
			if strings.Contains(r.SQL, "pg_reload_conf") && strings.Contains(r.SQL, "autovacuum_max_workers") {
				t.Errorf("%s bundles autovacuum_max_workers with pg_reload_conf()", r.ID)
			}
			if strings.Contains(r.Rationale, "dead ones included") {
				t.Errorf("%s claims reltuples counts dead tuples", r.ID)
			}
		}
		if !strings.Contains(av[1].SQL, "pgqtune.job_archive") || !strings.Contains(av[1].SQL, "autovacuum_vacuum_threshold = 5000") {
			t.Errorf("job_archive SQL = %s", av[1].SQL)
		}
	})

	t.Run("autovacuum off server-wide: turn it on", func(t *testing.T) {
		b, cat := steady(t)
		cat.Settings["autovacuum"] = Setting{Value: "off", Context: "sighup"}
		for i := range b.run.Samples {
			b.run.Samples[i].Tables[0].DeadTup, b.run.Samples[i].Tables[0].Autovacuum = int64(200*i), 0
		}
		recs, _ := Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "vacuum_lag", "pgqtune.job")}})
		av := only(recs, runrec.RecAutovacuum)
		if len(av) != 2 || av[1].SQL != "ALTER SYSTEM SET autovacuum = on;\nSELECT pg_reload_conf();" {
			t.Fatalf("autovacuum recs = %+v", av)
		}
	})

	t.Run("dead tuples held by an xmin horizon: config, not autovacuum", func(t *testing.T) {
		b, cat := steady(t)
		for i := range b.run.Samples {
			s := &b.run.Samples[i]
			s.Tables[0].DeadTup = int64(200 * i)
			s.XminHolders = []runrec.XminHolder{{Kind: runrec.XminBackendIdleInXact, PID: 4242, Name: "psql", State: "idle in transaction", XminAge: int64(600 * i), AgeS: float64(i + 300)}}
		}
		recs, notes := Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "xmin_horizon", "pgqtune.job")}})
		if len(only(recs, runrec.RecAutovacuum)) != 0 {
			t.Fatalf("autovacuum rec despite xmin holder: %+v", recs)
		}
		cfg := only(recs, runrec.RecConfig)
		// An immediate pg_terminate_backend for the live offender, then the
		// lasting setting.
		// Guarded: it ends pid 4242 only while it is still idle in transaction.
		if len(cfg) != 2 || !strings.Contains(cfg[0].SQL, "SELECT pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE pid = 4242 AND state LIKE 'idle in transaction%'") ||
			cfg[1].SQL != "ALTER DATABASE pgqtune SET idle_in_transaction_session_timeout = '194s';" || !strings.Contains(cfg[1].Rationale, "pid 4242") {
			t.Fatalf("config recs = %+v", cfg)
		}
		checkGolden(t, "xmin_horizon", recs, notes)
	})

	t.Run("xmin held by a slot and a prepared transaction", func(t *testing.T) {
		b, cat := steady(t)
		for i := range b.run.Samples {
			b.run.Samples[i].XminHolders = []runrec.XminHolder{
				{Kind: runrec.XminSlot, Name: "old_cdc", XminAge: 90000},
				{Kind: runrec.XminPrepared, Name: "tx-17", XminAge: 80000, AgeS: 3600},
			}
		}
		recs, _ := Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "xmin_horizon")}})
		cfg := only(recs, runrec.RecConfig)
		if len(cfg) != 2 || !strings.Contains(cfg[0].SQL, "SELECT pg_drop_replication_slot(slot_name) FROM pg_catalog.pg_replication_slots WHERE slot_name = 'old_cdc' AND NOT active;") ||
			!strings.Contains(cfg[1].SQL, "\nROLLBACK PREPARED 'tx-17';") || !strings.Contains(cfg[1].SQL, "COMMIT PREPARED 'tx-17'") ||
			!strings.Contains(cfg[1].Rationale, "pg_prepared_xacts") {
			t.Fatalf("config recs = %+v", cfg)
		}
	})

	t.Run("xmin: catalog_xmin and young slots get no advice; max_slot_wal_keep_size is PG13+", func(t *testing.T) {
		for _, tc := range []struct {
			version int
			keep    bool
		}{{120000, false}, {140000, true}, {150000, true}, {170000, true}} {
			b, cat := steady(t)
			b.run.Meta.ServerVersionNum = tc.version
			for i := range b.run.Samples {
				b.run.Samples[i].XminHolders = []runrec.XminHolder{
					{Kind: runrec.XminSlot, Name: "old_cdc", XminAge: 90000},
					{Kind: runrec.XminSlot, Name: "fresh_replica", XminAge: 40},
					{Kind: runrec.XminSlotCatalog, Name: "logical_cdc", XminAge: 900000},
				}
			}
			recs, _ := Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "xmin_horizon")}})
			cfg := only(recs, runrec.RecConfig)
			if len(cfg) != 1 || cfg[0].Target != "replication slot old_cdc" {
				t.Fatalf("version %d: config recs = %+v", tc.version, cfg)
			}
			if got := strings.Contains(cfg[0].SQL, "max_slot_wal_keep_size"); got != tc.keep {
				t.Fatalf("version %d: max_slot_wal_keep_size in SQL = %v, want %v: %s", tc.version, got, tc.keep, cfg[0].SQL)
			}
		}
	})

	t.Run("xmin: idle-in-transaction timeout floor is 60 s", func(t *testing.T) {
		if got := idleTimeout(30); got != "60s" {
			t.Fatalf("idleTimeout(30) = %s, want 60s", got)
		}
	})

	t.Run("checkpoint pressure: max_wal_size from WAL per checkpoint interval", func(t *testing.T) {
		b, cat := steady(t)
		for i := range b.run.Samples {
			s := &b.run.Samples[i]
			s.WAL.Bytes, s.WAL.FPI, s.WAL.Records = 20<<20, 3000, 60000
			if i%10 == 0 {
				s.Checkpointer.Requested = 1
			}
		}
		recs, notes := Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "checkpoint_pressure")}})
		cfg := actionable(only(recs, runrec.RecConfig))
		if len(cfg) != 1 {
			t.Fatalf("config recs = %+v", cfg)
		}
		// Sized for the 15 min checkpoint_timeout it recommends, not the
		// current 5 min: 20 MB/s × 900 s × 1.9 × 1.5 = 51300 MB -> 64GB.
		for _, s := range []string{"max_wal_size = '64GB'", "checkpoint_timeout = '15min'", "wal_compression = 'lz4'", "pg_reload_conf()"} {
			if !strings.Contains(cfg[0].SQL, s) {
				t.Errorf("SQL lacks %q:\n%s", s, cfg[0].SQL)
			}
		}
		checkGolden(t, "checkpoint_pressure", recs, notes)

		// Before PG15 wal_compression is a boolean: 'lz4' would be refused.
		for _, tc := range []struct {
			version int
			want    string
		}{{120000, "wal_compression = on;"}, {140000, "wal_compression = on;"}, {150000, "wal_compression = 'lz4';"}, {170000, "wal_compression = 'lz4';"}} {
			b.run.Meta.ServerVersionNum = tc.version
			recs, _ := Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "checkpoint_pressure")}})
			if cfg := actionable(only(recs, runrec.RecConfig)); len(cfg) != 1 || !strings.Contains(cfg[0].SQL, tc.want) {
				t.Errorf("version %d: SQL lacks %q: %+v", tc.version, tc.want, cfg)
			}
		}
	})

	t.Run("commit-bound run: group commit and synchronous_commit with the trade-off", func(t *testing.T) {
		b, cat := steady(t)
		for i := range b.run.Samples {
			b.run.Samples[i].Activity.ByWait = map[string]int{"LWLock:WALWrite": 4, "IO:WALSync": 2}
			b.run.Samples[i].WAL.Sync, b.run.Samples[i].WAL.SyncTimeMs = 30, 30 // 1 ms per WAL sync
		}
		recs, _ := Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "wal_write")}})
		cfg := actionable(only(recs, runrec.RecConfig))
		// 6 sessions flushing together and 1 ms per sync: half a sync of
		// delay, and the 5 others as siblings.
		if len(cfg) != 2 || !strings.Contains(cfg[0].SQL, "commit_delay = 500;\nALTER SYSTEM SET commit_siblings = 5;") || cfg[1].SQL != "ALTER DATABASE pgqtune SET synchronous_commit = off;" {
			t.Fatalf("config recs = %+v", cfg)
		}
		if !strings.Contains(cfg[1].Risk, "Durability trade-off") || !strings.Contains(cfg[1].Risk, "idempotent") {
			t.Errorf("risk = %q", cfg[1].Risk)
		}
	})

	t.Run("temp spills: work_mem from bytes spilled per call", func(t *testing.T) {
		b, cat := steady(t)
		for i := range b.run.Samples {
			s := &b.run.Samples[i]
			d := stmt(i, -7010, "SELECT queue, count(*) FROM pgqtune.job GROUP BY queue ORDER BY 2 DESC", 1, 900, 1, 5000)
			d.TempBlksWritten = 3 * 1024 // 24 MB per call
			s.Statements = append(s.Statements, d)
			s.Database.TempBytes, s.Database.TempFiles = 24<<20, 1
		}
		recs, _ := Recommend(&Input{Run: b.run, Catalog: cat})
		cfg := only(recs, runrec.RecConfig)
		if len(cfg) != 1 || cfg[0].SQL != "ALTER DATABASE pgqtune SET work_mem = '64MB';" {
			t.Fatalf("config recs = %+v", cfg)
		}
	})

	t.Run("claim without SKIP LOCKED under row-lock waits", func(t *testing.T) {
		b, cat := steady(t)
		noSkip := strings.Replace(claimText, " SKIP LOCKED", "", 1)
		b.run.Meta.Workload = map[string]any{"consumers": float64(16)}
		for i := range b.run.Samples {
			s := &b.run.Samples[i]
			s.Statements[0] = stmt(i, qClaim, noSkip, 10, 300, 100, 60)
			s.Activity.ByWait = map[string]int{"Lock:transactionid": 12}
			s.Locks = &runrec.Locks{Waiting: 12, ByMode: map[string]int{"transactionid:ShareLock": 12}}
			for k := 0; k < 12; k++ {
				s.Locks.Waits = append(s.Locks.Waits, runrec.LockWait{PID: 100 + k, LockType: "transactionid", Mode: "ShareLock", Workload: true})
			}
		}
		recs, notes := Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "row_lock_contention", "pgqtune.job")}})
		app := only(recs, runrec.RecApplication)
		if len(app) != 2 || !strings.Contains(app[0].SQL, "FOR UPDATE SKIP LOCKED") || !strings.Contains(app[1].SQL, "run 5 workers instead of 16") {
			t.Fatalf("application recs = %+v", app)
		}
		checkGolden(t, "row_lock_contention", recs, notes)
	})

	t.Run("lock contention from a DDL session: lock_timeout, not fewer workers", func(t *testing.T) {
		b, cat := steady(t)
		b.run.Meta.Workload = map[string]any{"consumers": float64(4)}
		for i := range b.run.Samples {
			s := &b.run.Samples[i]
			s.Locks = &runrec.Locks{Waiting: 7, ByMode: map[string]int{"relation:RowExclusiveLock": 7}}
			for k := 0; k < 7; k++ {
				s.Locks.Waits = append(s.Locks.Waits, runrec.LockWait{PID: 100 + k, LockType: "relation", Mode: "RowExclusiveLock", Relation: "pgqtune.job", Workload: k < 4})
			}
		}
		fd := finding("F3", "lock_contention", "pgqtune.job")
		fd.Summary = "Throughput fell 95% (200 -> 10 jobs/s) from 19:01:42 to 19:01:47 (5 s): AccessExclusiveLock on pgqtune.job held by pid 14753 for 5 s."
		fd.Evidence = []runrec.Evidence{{Signal: "pg_locks.blocker", Value: 14753, Detail: "AccessExclusiveLock on pgqtune.job held by pid 14753 for 5 s (idle in transaction): LOCK TABLE pgqtune.job"}}
		recs, _ := Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{fd}})
		app := only(recs, runrec.RecApplication)
		if len(app) != 1 || !strings.Contains(app[0].SQL, "SET lock_timeout = '2s'") || !strings.Contains(app[0].Rationale, "LOCK TABLE pgqtune.job") {
			t.Fatalf("application recs = %+v", app)
		}
	})

	t.Run("a foreign statement's temp spill: work_mem for its session only", func(t *testing.T) {
		b, cat := steady(t)
		for i := range b.run.Samples {
			s := &b.run.Samples[i]
			d := stmt(i, -7011, "SELECT sum(sqrt(i::float8)) FROM generate_series($1, $2) AS i", 1, 5000, 1, 0)
			d.TempBlksWritten = 32 * 1024 // 256 MB per call
			s.Statements = append(s.Statements, d)
			s.Database.TempBytes, s.Database.TempFiles = 256<<20, 1
		}
		recs, _ := Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{finding("F4", "io_saturation")}})
		cfg := only(recs, runrec.RecConfig)
		if len(cfg) != 1 || !strings.HasPrefix(cfg[0].SQL, "-- in the session (or role) that runs statement -7011 only:\nSET work_mem = '512MB';") {
			t.Fatalf("config recs = %+v", cfg)
		}
		if _, err := Statements(cfg[0]); err == nil {
			t.Error("a per-session SET must not be applied by validate")
		}
	})

	t.Run("manual checkpoints without WAL volume: a note, no settings", func(t *testing.T) {
		b, cat := steady(t)
		for i := range b.run.Samples {
			b.run.Samples[i].Checkpointer.Requested = 1
		}
		recs, notes := Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "checkpoint_pressure")}})
		if len(only(recs, runrec.RecConfig)) != 0 || !strings.Contains(strings.Join(notes, "\n"), "something else requests them") {
			t.Fatalf("recs %+v notes %v", recs, notes)
		}
	})

	t.Run("tight polling: LISTEN/NOTIFY, informational without a finding", func(t *testing.T) {
		b, cat := steady(t)
		for i := range b.run.Samples {
			b.run.Samples[i].Statements[0] = stmt(i, qClaim, claimText, 400, 80, 40, 1200)
		}
		recs, _ := Recommend(&Input{Run: b.run, Catalog: cat})
		app := only(recs, runrec.RecApplication)
		if len(app) != 1 || !app[0].Informational || !strings.Contains(app[0].SQL, "LISTEN") {
			t.Fatalf("application recs = %+v", app)
		}
	})

	t.Run("fillfactor for heavy HOT-eligible updates", func(t *testing.T) {
		b, cat := steady(t)
		const beat = "UPDATE pgqtune.job SET last_error = $1 WHERE id = $2"
		for i := range b.run.Samples {
			s := &b.run.Samples[i]
			s.Statements = append(s.Statements, stmt(i, -7020, beat, 400, 40, 400, 1200))
			s.Tables[0].Upd, s.Tables[0].HotUpd = 600, 60
		}
		recs, notes := Recommend(&Input{Run: b.run, Catalog: cat})
		ff := only(recs, runrec.RecFillfactor)
		// 6 updates per inserted row, 2/3 of them HOT-eligible -> 100/(1+1) = 50.
		if len(ff) != 1 || ff[0].SQL != lockTimeoutSQL+"ALTER TABLE pgqtune.job SET (fillfactor = 50);" || ff[0].Rollback != lockTimeoutSQL+"ALTER TABLE pgqtune.job SET (fillfactor = 100);" {
			t.Fatalf("fillfactor recs = %+v", ff)
		}
		if !strings.Contains(ff[0].Rationale, "state (in pgqtune.job_claim_idx)") {
			t.Errorf("rationale does not name the indexed updated column: %s", ff[0].Rationale)
		}
		checkGolden(t, "fillfactor", recs, notes)
	})

	t.Run("bloated, unused and duplicate indexes", func(t *testing.T) {
		b, cat := steady(t)
		tb := cat.Table("pgqtune.job")
		for i := range tb.Indexes {
			if tb.Indexes[i].Name == "pgqtune.job_claim_idx" {
				tb.Indexes[i].SizeBytes, tb.Indexes[i].Pages = 40<<20, 5120
			}
		}
		tb.Indexes = append(tb.Indexes,
			Index{Name: "pgqtune.job_created_idx", Definition: "CREATE INDEX job_created_idx ON pgqtune.job USING btree (created_at)", Method: "btree",
				SizeBytes: 2 << 20, Reltuples: 20200, Columns: []string{"created_at"}, Valid: true},
			Index{Name: "pgqtune.job_queue_idx", Definition: "CREATE INDEX job_queue_idx ON pgqtune.job USING btree (queue) WHERE state = 'pending'::text", Method: "btree",
				SizeBytes: 16384, Reltuples: 200, Columns: []string{"queue"}, Predicate: "state = 'pending'::text", Valid: true, IdxScan: 5})
		for i := range b.run.Samples {
			s := &b.run.Samples[i]
			s.Indexes = append(s.Indexes, runrec.IndexStats{Relation: "pgqtune.job", Index: "pgqtune.job_created_idx", SizeBytes: 2 << 20})
		}
		recs, notes := Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "bloat", "pgqtune.job")}})
		ix := only(recs, runrec.RecIndex)
		if len(ix) != 3 {
			t.Fatalf("index recs = %+v", ix)
		}
		if ix[0].SQL != "DROP INDEX CONCURRENTLY IF EXISTS pgqtune.job_created_idx;" ||
			ix[1].SQL != "DROP INDEX CONCURRENTLY IF EXISTS pgqtune.job_queue_idx;" ||
			ix[2].SQL != concurrently("REINDEX INDEX CONCURRENTLY pgqtune.job_claim_idx;") {
			t.Fatalf("index SQL = %q / %q / %q", ix[0].SQL, ix[1].SQL, ix[2].SQL)
		}
		if !strings.Contains(ix[1].Rationale, "redundant") || ix[0].Rollback != "CREATE INDEX CONCURRENTLY job_created_idx ON pgqtune.job USING btree (created_at);" {
			t.Fatalf("drop rationale/rollback: %s / %s", ix[1].Rationale, ix[0].Rollback)
		}
		checkGolden(t, "index_maintenance", recs, notes)
	})

	t.Run("finished rows piling up: partitioning outline", func(t *testing.T) {
		b, cat := steady(t)
		for i := range b.run.Samples {
			s := &b.run.Samples[i]
			s.Tables[0].LiveTup = 500000 + int64(100*i)
		}
		recs, notes := Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "bloat", "pgqtune.job")}})
		p := only(recs, runrec.RecPartitioning)
		if len(p) != 1 {
			t.Fatalf("partitioning recs = %+v", p)
		}
		for _, s := range []string{"PARTITION BY RANGE (created_at)", "ADD PRIMARY KEY (id, created_at)", "job_p_20260102 PARTITION OF",
			"WHERE state NOT IN ('completed')", "DETACH PARTITION", "WHERE state = 'pending'::text"} {
			if !strings.Contains(p[0].SQL, s) {
				t.Errorf("outline lacks %q:\n%s", s, p[0].SQL)
			}
		}
		if _, err := Statements(p[0]); err == nil {
			t.Error("a partitioning outline must not be auto-applicable")
		}
		checkGolden(t, "partitioning", recs, notes)
	})

	t.Run("DELETE-heavy retention: partitioning", func(t *testing.T) {
		b, cat := steady(t)
		const retention = "DELETE FROM pgqtune.job WHERE state = $1 AND finished_at < now() - $2::interval"
		for i := range b.run.Samples {
			s := &b.run.Samples[i]
			if i%30 == 0 {
				s.Statements = append(s.Statements, stmt(i, -7030, retention, 1, 900, 3000, 40000))
			}
			s.Tables[0].Del = 100
		}
		recs, _ := Recommend(&Input{Run: b.run, Catalog: cat})
		p := only(recs, runrec.RecPartitioning)
		if len(p) != 1 || !strings.Contains(p[0].Rationale, "Retention runs as DELETE (queryid -7030, 3000 rows per call") {
			t.Fatalf("partitioning recs = %+v", p)
		}
	})

	t.Run("one job per claim on a commit-bound run: batch the claims", func(t *testing.T) {
		b, cat := steady(t)
		for i := range b.run.Samples {
			b.run.Samples[i].Statements[0] = stmt(i, qClaim, claimText, 100, 30, 100, 600)
		}
		recs, _ := Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "wal_write")}})
		app := only(recs, runrec.RecApplication)
		if len(app) != 1 || !strings.Contains(app[0].SQL, "claim jobs in batches") || !strings.Contains(app[0].Rationale, "1 rows per call at 100 calls/s") {
			t.Fatalf("application recs = %+v", app)
		}
	})

	t.Run("claim without LIMIT and with a wrapped column: query rewrites", func(t *testing.T) {
		b, cat := steady(t)
		const bad = "UPDATE pgqtune.job SET state = $1 WHERE id IN (SELECT id FROM pgqtune.job WHERE lower(queue) = $2 AND state = $3 ORDER BY priority, run_at FOR UPDATE SKIP LOCKED)"
		for i := range b.run.Samples {
			b.run.Samples[i].Statements[0] = stmt(i, qClaim, bad, 10, 30, 100, 600)
		}
		recs, _ := Recommend(&Input{Run: b.run, Catalog: cat})
		q := only(recs, runrec.RecQuery)
		if len(q) != 2 || !strings.Contains(q[0].SQL, "add a LIMIT") || !strings.Contains(q[1].SQL, "CREATE INDEX CONCURRENTLY ON pgqtune.job ((lower(queue)))") {
			t.Fatalf("query recs = %+v", q)
		}
		if _, err := Statements(q[0]); err == nil {
			t.Error("a query rewrite must not be auto-applicable")
		}
	})

	t.Run("no catalog, no samples: notes instead of a crash", func(t *testing.T) {
		recs, notes := Recommend(&Input{Run: newRun().run})
		if len(recs) != 0 || len(notes) == 0 {
			t.Fatalf("recs %+v notes %v", recs, notes)
		}
		recs, _ = Recommend(nil)
		if recs == nil {
			t.Fatal("nil input must give an empty, non-nil slice")
		}
	})
}
