package sampler_test

import (
	"context"
	"testing"

	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sampler"
)

func TestXminHolders(t *testing.T) {
	b := setup(t, sampler.Config{}, nil)
	// A logical slot waits for running transactions when created: first.
	exec(t, b.pool, `SELECT pg_create_logical_replication_slot('pgqtune_xmin_slot', 'test_decoding')`)
	t.Cleanup(func() {
		_, _ = b.pool.Exec(context.Background(), `SELECT pg_drop_replication_slot('pgqtune_xmin_slot')`)
	})
	idle := conn(t, b.dsn, "forgotten-session")
	exec(t, idle, `BEGIN ISOLATION LEVEL REPEATABLE READ`)
	exec(t, idle, `SELECT 1`)
	exec(t, b.pool, `CREATE TABLE t (id int)`)

	p := conn(t, b.dsn, "two-phase")
	exec(t, p, `BEGIN`)
	exec(t, p, `INSERT INTO t VALUES (1)`)
	exec(t, p, `PREPARE TRANSACTION 'pgqtune_xmin_test'`)
	t.Cleanup(func() { _, _ = b.pool.Exec(context.Background(), `ROLLBACK PREPARED 'pgqtune_xmin_test'`) })

	// Burn a few transaction ids so the horizons have an age.
	for i := 0; i < 5; i++ {
		exec(t, b.pool, `SELECT txid_current()`)
	}

	r := record(t, b.s)
	got := r.waitFor(t, "three kinds of xmin holders", func(s runrec.Sample) bool {
		kinds := map[string]bool{}
		for _, h := range s.XminHolders {
			kinds[h.Kind] = true
		}
		return kinds[runrec.XminBackendIdleInXact] && kinds[runrec.XminPrepared] && kinds[runrec.XminSlotCatalog]
	})
	for _, h := range got.XminHolders {
		switch h.Kind {
		case runrec.XminBackendIdleInXact:
			// IdleS runs from the end of its last statement (state_change),
			// AgeS from BEGIN: the idle time is never the longer one.
			if h.PID != pid(t, idle) || h.Name != "forgotten-session" || h.XminAge < 5 || h.AgeS <= 0 || h.IdleS <= 0 || h.IdleS > h.AgeS {
				t.Errorf("idle in transaction holder = %+v", h)
			}
		case runrec.XminPrepared:
			if h.Name != "pgqtune_xmin_test" || h.XminAge < 5 || h.AgeS <= 0 {
				t.Errorf("prepared holder = %+v", h)
			}
		case runrec.XminSlotCatalog:
			if h.Name != "pgqtune_xmin_slot" || h.XminAge < 5 {
				t.Errorf("slot holder = %+v", h)
			}
		}
	}
	if got.Activity == nil || got.Activity.OldestXmin == nil || got.Activity.OldestXmin.PID != pid(t, idle) {
		t.Errorf("activity's oldest xmin = %+v, want the idle session", got.Activity.OldestXmin)
	}
	if got.Activity.IdleInXact < 1 {
		t.Errorf("idle in transaction = %d", got.Activity.IdleInXact)
	}
}

// TestXminHoldersOtherDatabase: from Postgres 14 on, a snapshot held in
// another database of the cluster does not hold back this database's
// cleanup, and is not listed; a transaction there that has an xid still
// caps every snapshot taken here, and is. Up to 13 both are listed.
func TestXminHoldersOtherDatabase(t *testing.T) {
	b := setup(t, sampler.Config{}, nil)
	other := pgtest.NewDB(t)
	reader := conn(t, other, "other-db-report")
	exec(t, reader, `BEGIN ISOLATION LEVEL REPEATABLE READ`)
	exec(t, reader, `SELECT 1`)
	writer := conn(t, other, "other-db-writer")
	exec(t, writer, `BEGIN`)
	exec(t, writer, `SELECT txid_current()`)
	local := conn(t, b.dsn, "local-session")
	exec(t, local, `BEGIN ISOLATION LEVEL REPEATABLE READ`)
	exec(t, local, `SELECT 1`)
	for i := 0; i < 5; i++ {
		exec(t, b.pool, `SELECT txid_current()`)
	}
	var version int
	if err := b.pool.QueryRow(context.Background(), `SELECT current_setting('server_version_num')::int`).Scan(&version); err != nil {
		t.Fatal(err)
	}

	r := record(t, b.s)
	listed := func(s runrec.Sample, p int) bool {
		for _, h := range s.XminHolders {
			if h.PID == p {
				return true
			}
		}
		return false
	}
	got := r.waitFor(t, "the local session and the other database's writer as holders", func(s runrec.Sample) bool {
		return listed(s, pid(t, local)) && listed(s, pid(t, writer))
	})
	perDB := version >= 140000
	if listed(got, pid(t, reader)) == perDB {
		t.Errorf("server %d: the other database's read-only snapshot listed = %v, want %v: %+v", version, !perDB, !perDB, got.XminHolders)
	}
	if perDB && got.Activity != nil && got.Activity.OldestXmin != nil && got.Activity.OldestXmin.PID == pid(t, reader) {
		t.Errorf("activity's oldest xmin is the other database's reader: %+v", got.Activity.OldestXmin)
	}
}
