package sampler_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sampler"
)

func TestTables(t *testing.T) {
	mk := func(p *pgxpool.Pool) {
		exec(t, p, `CREATE TABLE q (id bigserial PRIMARY KEY, state text NOT NULL, pad text) WITH (fillfactor = 80, autovacuum_enabled = off)`)
		exec(t, p, `CREATE INDEX q_state ON q (state)`)
		exec(t, p, `CREATE TABLE busy (id int)`)
		exec(t, p, `CREATE TABLE quiet (id int)`)
	}

	t.Run("queue tables always, others by activity, with sizes and reloptions", func(t *testing.T) {
		b := setup(t, sampler.Config{QueueTables: []string{"public.q"}}, mk)
		r := record(t, b.s)
		r.ticks(t, 2)
		exec(t, b.pool, `INSERT INTO q (state, pad) SELECT 'pending', repeat('p', 100) FROM generate_series(1, 1000)`)
		exec(t, b.pool, `DELETE FROM q WHERE id <= 400`)
		exec(t, b.pool, `INSERT INTO busy SELECT generate_series(1, 10)`)
		exec(t, b.pool, `SELECT pg_stat_force_next_flush()`)
		got := r.waitFor(t, "the queue's inserts and deletes", func(s runrec.Sample) bool {
			return table(s, "public.q") != nil && table(s, "public.q").Ins == 1000
		})
		q := table(got, "public.q")
		if !q.Queue || q.Del != 400 || q.DeadTup != 400 || q.LiveTup != 600 || q.HeapBytes <= 0 || q.IndexBytes <= 0 {
			t.Errorf("queue table = %+v", q)
		}
		if bz := table(got, "public.busy"); bz == nil || bz.Queue || bz.Ins != 10 {
			t.Errorf("busy table = %+v, want 10 inserts, not a queue", bz)
		}
		if table(got, "public.quiet") != nil {
			t.Errorf("an idle non-queue table is sampled")
		}
		var idx *runrec.IndexStats
		for i := range got.Indexes {
			if got.Indexes[i].Index == "public.q_state" {
				idx = &got.Indexes[i]
			}
		}
		if idx == nil || idx.SizeBytes <= 0 {
			t.Fatalf("indexes = %+v, want public.q_state", got.Indexes)
		}
		if len(got.Queues) != 1 || got.Queues[0].System != sampler.SystemTable || got.Queues[0].Enqueued != 1000 || got.Queues[0].Completed != 400 {
			t.Errorf("queue health = %+v, want a plain table with 1000 enqueued, 400 completed", got.Queues)
		}
		ss := r.stop(t)
		var defs, rel int
		for _, s := range ss {
			for _, ix := range s.Indexes {
				if ix.Index == "public.q_state" && ix.Definition != "" {
					defs++
					if !strings.Contains(ix.Definition, "CREATE INDEX q_state") {
						t.Errorf("definition = %q", ix.Definition)
					}
				}
			}
			if o, ok := s.Reloptions["public.q"]; ok {
				rel++
				if strings.Join(o, ",") != "fillfactor=80,autovacuum_enabled=off" {
					t.Errorf("reloptions = %v", o)
				}
			}
		}
		if defs != 1 || rel != 1 {
			t.Errorf("index definition written %d times, reloptions %d times; want once each", defs, rel)
		}
	})

	t.Run("vacuum counts and progress", func(t *testing.T) {
		b := setup(t, sampler.Config{QueueTables: []string{"public.q"}}, mk)
		w := conn(t, b.dsn, "writer")
		exec(t, w, `INSERT INTO q (state, pad) SELECT 'done', repeat('p', 500) FROM generate_series(1, 100000)`)
		exec(t, w, `DELETE FROM q`)
		exec(t, w, `SELECT pg_stat_force_next_flush()`)
		r := record(t, b.s)
		r.ticks(t, 2)
		v := conn(t, b.dsn, "slow-vacuum")
		// A vacuum throttled to a crawl stays visible for several ticks.
		exec(t, v, `SET vacuum_cost_delay = 100`)
		exec(t, v, `SET vacuum_cost_limit = 1`)
		done := make(chan error, 1)
		go func() {
			_, err := v.Exec(context.Background(), `VACUUM q`)
			done <- err
		}()
		got := r.waitFor(t, "a vacuum scanning the heap", func(s runrec.Sample) bool { return len(s.Vacuums) > 0 && s.Vacuums[0].HeapBlksTotal > 0 })
		exec(t, b.pool, `SELECT pg_cancel_backend($1)`, pid(t, v))
		<-done
		pv := got.Vacuums[0]
		if pv.PID != pid(t, v) || pv.Relation != "public.q" || pv.Auto || pv.HeapBlksTotal <= 0 || pv.Phase == "" {
			t.Errorf("vacuum progress = %+v", pv)
		}
		exec(t, b.pool, `VACUUM q`)
		exec(t, b.pool, `SELECT pg_stat_force_next_flush()`)
		got = r.waitFor(t, "the vacuum count", func(s runrec.Sample) bool {
			return table(s, "public.q") != nil && table(s, "public.q").Vacuum > 0
		})
		// A concurrent snapshot may keep a handful of the 100000 dead rows.
		if q := table(got, "public.q"); q.DeadTup > 1000 || q.LastAutovacuumAgeS < 0 {
			t.Errorf("after vacuum: %+v", q)
		}
	})
}

func table(s runrec.Sample, name string) *runrec.TableStats {
	for i := range s.Tables {
		if s.Tables[i].Relation == name {
			return &s.Tables[i]
		}
	}
	return nil
}

// TestManyTables: with more tables than one tick should read, the queue
// tables are still counted exactly and the busy table is still found.
func TestManyTables(t *testing.T) {
	b := setup(t, sampler.Config{QueueTables: []string{"public.q"}}, func(p *pgxpool.Pool) {
		exec(t, p, `CREATE TABLE q (id bigserial PRIMARY KEY, body text)`)
		exec(t, p, `DO $$ BEGIN FOR i IN 1..200 LOOP EXECUTE format('CREATE TABLE filler%s (id int)', i); END LOOP; END $$`)
	})
	w := conn(t, b.dsn, "writer")
	r := record(t, b.s)
	r.ticks(t, 2)
	var wantQ, wantBusy int64
	for i := 0; i < 12; i++ {
		exec(t, w, `INSERT INTO q (body) SELECT 'x' FROM generate_series(1, 10)`)
		exec(t, w, `INSERT INTO filler7 SELECT generate_series(1, 5)`)
		exec(t, w, `SELECT pg_stat_force_next_flush()`)
		wantQ, wantBusy = wantQ+10, wantBusy+5
		r.ticks(t, 1)
	}
	r.ticks(t, 2)
	var gotQ, gotBusy int64
	busyTicks := 0
	for _, s := range r.stop(t) {
		assertNonNegative(t, s)
		if q := table(s, "public.q"); q != nil {
			gotQ += q.Ins
		}
		if f := table(s, "public.filler7"); f != nil {
			gotBusy += f.Ins
			busyTicks++
		}
	}
	if gotQ != wantQ {
		t.Errorf("queue inserts recorded %d, want %d", gotQ, wantQ)
	}
	if busyTicks < 6 || gotBusy > wantBusy {
		t.Errorf("busy table recorded in %d ticks with %d inserts (of %d): want most ticks, never more than happened", busyTicks, gotBusy, wantBusy)
	}
}
