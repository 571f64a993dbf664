package sampler_test

import (
	"testing"

	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sampler"
)

// TestWALAndCheckpoints reads cluster-wide statistics: it must not run in
// parallel with tests that write much WAL.
func TestWALAndCheckpoints(t *testing.T) {
	b := setup(t, sampler.Config{}, nil)
	exec(t, b.pool, `CREATE TABLE w (id int, pad text)`)
	r := record(t, b.s)
	r.ticks(t, 2)
	w := conn(t, b.dsn, "writer")
	exec(t, w, `INSERT INTO w SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g`)
	// pg_stat_wal is flushed lazily by the writing backend; the LSN is not.
	exec(t, w, `SELECT pg_stat_force_next_flush()`)
	var lsn, records, bytes int64
	r.waitFor(t, "the insert's WAL", func(s runrec.Sample) bool {
		if s.WAL != nil {
			lsn, records, bytes = lsn+s.WAL.LSNBytes, records+s.WAL.Records, bytes+s.WAL.Bytes
			if !s.WAL.HasStatWAL {
				t.Fatalf("no pg_stat_wal on Postgres 15: %+v", s.WAL)
			}
		}
		return lsn > 4<<20 && records >= 20000
	})
	if bytes < 4<<20 {
		t.Errorf("pg_stat_wal bytes = %d for %d LSN bytes", bytes, lsn)
	}
	exec(t, b.pool, `CHECKPOINT`)
	got := r.waitFor(t, "a requested checkpoint", func(s runrec.Sample) bool {
		return s.Checkpointer != nil && s.Checkpointer.Requested > 0
	})
	if got.Checkpointer.BuffersWritten <= 0 {
		t.Errorf("checkpointer = %+v, want buffers written", got.Checkpointer)
	}
	// The first update of each page after a checkpoint logs a full page.
	exec(t, b.pool, `UPDATE w SET id = id + 1`)
	r.waitFor(t, "full-page images", func(s runrec.Sample) bool { return s.WAL != nil && s.WAL.FPI > 0 })
	for _, s := range r.stop(t) {
		assertNonNegative(t, s)
	}
}
