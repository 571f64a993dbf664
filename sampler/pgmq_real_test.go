package sampler_test

import (
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/sampler"
)

// TestQueueDetectionRealPgmq: a queue the real pgmq 1.5.2 extension owns
// (pgmq.create) is detected as a pgmq queue; its archive table is not a
// second queue.
func TestQueueDetectionRealPgmq(t *testing.T) {
	pgtest.RequirePgmq(t)
	b := setup(t, sampler.Config{ReadOnly: true}, func(p *pgxpool.Pool) {
		exec(t, p, `CREATE EXTENSION pgmq; SELECT pgmq.create('orders'); SELECT pgmq.send('orders', '{"k":1}'::jsonb)`)
	})
	if got := b.s.QueueTables(); !slices.Equal(got, []string{"pgmq.q_orders"}) {
		t.Fatalf("QueueTables = %v, want [pgmq.q_orders]", got)
	}
}
