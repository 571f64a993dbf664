package pgmq_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/internal/adaptertest"
	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/sqlload"
	"github.com/pgqtune/pgqtune/sqlload/adapter/pgmq"
)

// TestPgmqRealExtension runs the shared adapter suite against pgmq 1.5.2
// itself (CREATE EXTENSION pgmq), in both completion modes.
func TestPgmqRealExtension(t *testing.T) {
	pgtest.RequirePgmq(t)
	adaptertest.Run(t, "pgmq",
		sqlload.Settings{"extension": "on", "queue_prefix": pgmq.RealPrefix},
		sqlload.Settings{"extension": "on", "queue_prefix": pgmq.RealPrefix, "completion": "archive", "visibility_timeout": "5s"},
	)
	t.Run("describe and tables", func(t *testing.T) {
		b := adaptertest.Setup(t, "pgmq", sqlload.Settings{"extension": "auto", "queue_prefix": pgmq.RealPrefix})
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

// TestPgmqRealRun drives the real extension end to end with the driver:
// delays, retries through pgmq.set_vt, archive on completion. drive checks
// the books (0 lost, 0 duplicated).
func TestPgmqRealRun(t *testing.T) {
	pgtest.RequirePgmq(t)
	sc := adaptertest.LoadYAML(t, `name: pgmq-real-run
adapter: pgmq
adapter_settings: {extension: "on", queue_prefix: real_, completion: archive, visibility_timeout: 20s}
rate: 200
producers: 2
consumers: 3
enqueue_batch: 5
dequeue_batch: 5
queues: 2
work_time: 1ms
failure_rate: 0.05
retry_backoff: 10ms
delayed: {share: 0.1, by: 1s}
poll_interval: 20ms
drain: 10s
phases:
  - {name: steady, profile: constant, duration: 3s}
`)
	b := adaptertest.Drive(t, context.Background(), sc, nil)
	in := b.Res.Integrity
	if in.Completed < 100 || 2*in.Completed < in.Enqueued {
		t.Fatalf("%d of %d jobs completed: want most of them", in.Completed, in.Enqueued)
	}
}
