package sampler_test

import (
	"context"
	_ "embed"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sampler"
)

//go:embed testdata/queue_systems.sql
var queueSystemsSQL string

func TestQueueDetection(t *testing.T) {
	b := setup(t, sampler.Config{ReadOnly: true}, func(p *pgxpool.Pool) { exec(t, p, queueSystemsSQL) })
	want := []string{
		"graphile_worker._private_jobs", "pgboss.job", "pgmq.q_orders", "public.good_jobs",
		"public.que_jobs", "public.river_job", "public.solid_queue_ready_executions",
	}
	if got := b.s.QueueTables(); !slices.Equal(got, want) {
		t.Fatalf("QueueTables = %v\nwant %v", got, want)
	}
	notes := strings.Join(b.s.Notes(), "\n")
	for _, w := range []string{"pgboss.job (pg-boss, 3 partitions counted as one queue)", "pgmq.q_orders (pgmq)", "public.river_job (river)"} {
		if !strings.Contains(notes, w) {
			t.Errorf("notes do not say %q:\n%s", w, notes)
		}
	}
	r := record(t, b.s)
	// Every job is at least two seconds old when the sample is taken.
	later := time.Now().Add(2 * time.Second)
	got := r.waitFor(t, "queue health", func(s runrec.Sample) bool { return len(s.Queues) == len(want) && s.T.After(later) })
	for _, q := range got.Queues {
		wantDepth := int64(2)
		if q.Table == "pgboss.job" {
			wantDepth = 3
		}
		if q.Depth != wantDepth || q.OldestPendingAgeS < 1.5 || q.OldestPendingAgeS > 60 {
			t.Errorf("%s (%s): depth %d, oldest %.1fs, note %q; want depth %d, about 2s old", q.Table, q.System, q.Depth, q.OldestPendingAgeS, q.Note, wantDepth)
		}
	}
	if st, ok := got.Status["queues"]; ok {
		t.Errorf("queues status = %s", st)
	}

	// pg-boss creates a partition when a new queue name appears: it is
	// counted as part of pgboss.job within 30 ticks.
	w := conn(t, b.dsn, "pg-boss")
	exec(t, w, `CREATE TABLE pgboss.j_invoices PARTITION OF pgboss.job FOR VALUES IN ('invoices')`)
	exec(t, w, `INSERT INTO pgboss.job (name) SELECT 'invoices' FROM generate_series(1, 7)`)
	exec(t, w, `SELECT pg_stat_force_next_flush()`)
	got = r.waitFor(t, "the new partition's inserts", func(s runrec.Sample) bool {
		tb := table(s, "pgboss.j_invoices")
		return tb != nil && tb.Queue
	})
	var enq int64
	for _, s := range r.stop(t) {
		for _, q := range s.Queues {
			if q.Table == "pgboss.job" {
				enq += q.Enqueued
			}
		}
	}
	if enq != 7 {
		t.Errorf("pgboss.job enqueued %d over the run, want the 7 jobs of the new partition", enq)
	}
}

func TestNamedQueueTable(t *testing.T) {
	t.Run("a missing table is an error naming it", func(t *testing.T) {
		dsn := setup(t, sampler.Config{}, nil).dsn
		_, err := sampler.New(context.Background(), sampler.Config{DSN: dsn, QueueTables: []string{"public.nope"}})
		if err == nil || !strings.Contains(err.Error(), "public.nope does not exist") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a named table is the only queue, even when others are detectable", func(t *testing.T) {
		b := setup(t, sampler.Config{QueueTables: []string{"pgmq.q_orders"}}, func(p *pgxpool.Pool) { exec(t, p, queueSystemsSQL) })
		if got := b.s.QueueTables(); !slices.Equal(got, []string{"pgmq.q_orders"}) {
			t.Fatalf("QueueTables = %v", got)
		}
	})
	t.Run("no queue at all says how to name one", func(t *testing.T) {
		b := setup(t, sampler.Config{}, nil)
		if !slices.ContainsFunc(b.s.Notes(), func(n string) bool { return strings.Contains(n, "--queue-table") }) {
			t.Errorf("notes = %q", b.s.Notes())
		}
	})
}

// TestOldestPastCapReplanned: the oldest-job query looked cheap on the
// near-empty table the sampler started with. Once the backlog passes the
// count cap it is planned again and, with no index leading with the time
// column, dropped with a note instead of sorting the whole backlog every
// second (which starved a 1M-job burndown of CPU).
func TestOldestPastCapReplanned(t *testing.T) {
	b := setup(t, sampler.Config{ReadOnly: true, QueueTables: []string{"public.river_job"}}, func(p *pgxpool.Pool) {
		exec(t, p, queueSystemsSQL)
	})
	r := record(t, b.s)
	r.waitFor(t, "a first queue sample", func(s runrec.Sample) bool { return len(s.Queues) == 1 && s.Queues[0].Depth == 2 })
	w := conn(t, b.dsn, "river")
	exec(t, w, `INSERT INTO river_job (kind) SELECT 'email' FROM generate_series(1, 120000)`)
	exec(t, w, `ANALYZE river_job`)
	got := r.waitFor(t, "the capped depth", func(s runrec.Sample) bool { return len(s.Queues) == 1 && s.Queues[0].Depth == 100000 })
	q := got.Queues[0]
	r.stop(t)
	if !strings.Contains(q.Note, "oldest pending age not sampled past 100000") || q.OldestPendingAgeS != -1 {
		t.Fatalf("past the cap: oldest %.1fs, note %q; want the oldest-age query dropped with a note", q.OldestPendingAgeS, q.Note)
	}
}
