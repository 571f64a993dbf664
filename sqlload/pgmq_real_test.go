package sqlload_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/sqlload"
	"github.com/pgqtune/pgqtune/sqlload/adaptertest"
)

// TestPgmqRealExtension runs the shared adapter suite against pgmq 1.5.2
// itself (CREATE EXTENSION pgmq), in both completion modes.
func TestPgmqRealExtension(t *testing.T) {
	pgtest.RequirePgmq(t)
	adaptertest.Run(t, "pgmq",
		sqlload.Settings{"extension": "on", "queue_prefix": sqlload.PgmqRealPrefix},
		sqlload.Settings{"extension": "on", "queue_prefix": sqlload.PgmqRealPrefix, "completion": "archive", "visibility_timeout": "5s"},
	)
	t.Run("describe and tables", func(t *testing.T) {
		b := adaptertest.Setup(t, "pgmq", sqlload.Settings{"extension": "auto", "queue_prefix": sqlload.PgmqRealPrefix})
		d := b.Adapter.(sqlload.Describer).Describe()
		if d["backend"] != "extension 1.5.2" {
			t.Fatalf("backend = %v, want extension 1.5.2", d["backend"])
		}
		if got := b.Adapter.Tables(); !strings.HasPrefix(got[0], `"pgmq"."q_real_`) {
			t.Fatalf("Tables() = %v, want pgmq's own tables", got)
		}
		var n int
		err := b.Pool.QueryRow(context.Background(), `SELECT count(*) FROM pgmq.meta WHERE queue_name LIKE 'real\_%'`).Scan(&n)
		if err != nil || n != len(adaptertest.Queues) {
			t.Fatalf("pgmq.meta lists %d queues (err %v), want %d", n, err, len(adaptertest.Queues))
		}
	})
}
