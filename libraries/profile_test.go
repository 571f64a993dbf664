package libraries_test

import (
	"testing"

	"github.com/pgqtune/pgqtune/libraries"
)

// A pg-boss v10 partition: "j" and the hex sha224 of the queue name.
const bossPartition = "pgboss.j3f1b1b1e5c6a3b0f9e2f2e1c9a7d2b8e4c1a0f6e3d2c1b0a9f8e7d6c"

func TestForTable(t *testing.T) {
	for _, tc := range []struct{ table, want string }{
		{bossPartition, libraries.PGBoss},
		{"pgboss.job", libraries.PGBoss},
		{"pgboss.job_common", libraries.PGBoss},
		{"pgboss.archive", libraries.PGBoss},
		{"graphile_worker._private_jobs", libraries.GraphileWorker},
		{"public.river_job", libraries.River},
		{"pgmq.q_orders", libraries.PGMQ},
		{"pgmq.a_orders", libraries.PGMQ},
		{"public.que_jobs", libraries.Que},
		{"pgqtune.job", libraries.SkipLocked},
		{"public.orders", ""},
	} {
		p := libraries.ForTable(tc.table)
		got := ""
		if p != nil {
			got = p.Name
		}
		if got != tc.want {
			t.Errorf("ForTable(%s) = %q, want %q", tc.table, got, tc.want)
		}
	}
	// The pg-boss partition is a partition of pgboss.job, holding jobs.
	tb := libraries.ByName(libraries.PGBoss).TableFor(bossPartition)
	if tb == nil || tb.Parent != "pgboss.job" || !tb.Jobs {
		t.Errorf("pg-boss partition table = %+v, want a jobs partition of pgboss.job", tb)
	}
	if p := libraries.Detect([]string{libraries.SkipLocked}, "pgboss.job"); p == nil || p.Name != libraries.SkipLocked {
		t.Errorf("Detect prefers the detected library; got %v", p)
	}
}

func TestOwnsIndex(t *testing.T) {
	gw := libraries.ByName(libraries.GraphileWorker)
	for _, ix := range []string{"jobs_no_queue_index", "graphile_worker.jobs_main_index", "jobs_pkey"} {
		if !gw.OwnsIndex("graphile_worker._private_jobs", ix) {
			t.Errorf("graphile-worker should own %s", ix)
		}
	}
	if gw.OwnsIndex("graphile_worker._private_jobs", "_private_jobs_run_at_pgq_idx") {
		t.Error("an index pgqtune added is not graphile-worker's")
	}
	boss := libraries.ByName(libraries.PGBoss)
	part := bossPartition[len("pgboss."):]
	if !boss.OwnsIndex(bossPartition, "pgboss."+part+"_i5") {
		t.Errorf("pg-boss should own %s_i5", part)
	}
	ix := boss.IndexFor(bossPartition, part+"_i5")
	if ix == nil || !ix.Claim || ix.Where != "state < 'active'" {
		t.Fatalf("pg-boss fetch index = %+v", ix)
	}
	if got := ix.NameFor("pgboss.j*", bossPartition); got != part+"_i5" {
		t.Errorf("NameFor = %s, want %s_i5", got, part)
	}
	pgmq := libraries.ByName(libraries.PGMQ)
	if ix := pgmq.IndexFor("pgmq.q_orders", "q_orders_vt_idx"); ix == nil || !ix.Claim {
		t.Errorf("pgmq vt index = %+v", ix)
	}
	if got := pgmq.IndexesOn("pgmq.a_orders")[1].NameFor("pgmq.a_*", "pgmq.a_orders"); got != "archived_at_idx_orders" {
		t.Errorf("pgmq archive index name = %s", got)
	}
}

func TestHOT(t *testing.T) {
	for _, tc := range []struct {
		lib, table string
		hot        bool
	}{
		{libraries.GraphileWorker, "graphile_worker._private_jobs", false},
		{libraries.PGBoss, bossPartition, false},
		{libraries.River, "public.river_job", false},
		{libraries.PGMQ, "pgmq.q_orders", false},
		{libraries.GraphileWorker, "graphile_worker._private_job_queues", true},
	} {
		tb := libraries.ByName(tc.lib).TableFor(tc.table)
		if tb == nil {
			t.Fatalf("%s has no table %s", tc.lib, tc.table)
		}
		if tb.HOT != tc.hot {
			t.Errorf("%s %s HOT = %v, want %v", tc.lib, tc.table, tb.HOT, tc.hot)
		}
		if !tb.HOT && tb.HOTWhy == "" {
			t.Errorf("%s %s: no HOTWhy", tc.lib, tc.table)
		}
	}
}

func TestProfilesComplete(t *testing.T) {
	for _, name := range []string{libraries.PGBoss, libraries.PGMQ, libraries.River, libraries.GraphileWorker,
		libraries.Que, libraries.GoodJob, libraries.SolidQueue, libraries.SkipLocked} {
		p := libraries.ByName(name)
		if p == nil {
			t.Fatalf("%s is not registered", name)
		}
		if p.Source == "" || p.JobsTable() == nil || len(p.Knobs) == 0 {
			t.Errorf("%s: source, jobs table and knobs are required", name)
		}
		claim := false
		for _, ix := range p.Indexes {
			claim = claim || ix.Claim
			if p.TableFor(ix.Table) == nil && ix.Table != "pgboss.j*" {
				t.Errorf("%s: index %s on unknown table %s", name, ix.Name, ix.Table)
			}
		}
		if !claim {
			t.Errorf("%s: no claim index", name)
		}
	}
	if libraries.ByName(libraries.GraphileWorker).Has(libraries.FeatureListenNotify) == false {
		t.Error("graphile-worker already uses LISTEN/NOTIFY")
	}
	if libraries.ByName(libraries.PGBoss).Has(libraries.FeatureListenNotify) {
		t.Error("pg-boss v10 polls")
	}
}

// pgqtune's run drives pg-boss in its own schema: the detected library
// still owns the tables there, by their table names.
func TestDetectOtherSchema(t *testing.T) {
	if p := libraries.Detect([]string{libraries.PGBoss}, "pgqtune.job"); p == nil || p.Name != libraries.PGBoss {
		t.Fatalf("Detect(pg-boss, pgqtune.job) = %v", p)
	}
	if p := libraries.ForTable("pgqtune.job"); p == nil || p.Name != libraries.SkipLocked {
		t.Fatalf("without detection pgqtune.job is pgqtune's own table; got %v", p)
	}
	boss := libraries.ByName(libraries.PGBoss)
	if got := boss.Canonical("pgqtune.jabc"); got != "pgboss.jabc" {
		t.Errorf("Canonical = %s", got)
	}
	if !boss.OwnsIndex("pgqtune.jabc", "pgqtune.jabc_i5") {
		t.Error("pg-boss owns jabc_i5 in schema pgqtune")
	}
}
