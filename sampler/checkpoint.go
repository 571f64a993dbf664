package sampler

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

var (
	//go:embed sql/checkpoint_bgwriter.sql
	checkpointBgwriterSQL string
	//go:embed sql/checkpoint_checkpointer.sql
	checkpointCheckpointerSQL string
)

// checkpointSnap is one reading of the checkpoint counters.
type checkpointSnap struct {
	ints  [5]int64 // timed, requested, buffers written, buffers backend, buffers clean
	times [2]float64
	reset time.Time
}

// DiffSince returns the checkpoint activity since prev, refusing on a reset.
func (c checkpointSnap) DiffSince(prev checkpointSnap) (runrec.CheckpointStats, bool) {
	if !c.reset.Equal(prev.reset) {
		return runrec.CheckpointStats{}, false
	}
	d, t, ok := diffCountsAndTimes(c.ints[:], prev.ints[:], c.times[:], prev.times[:])
	if !ok {
		return runrec.CheckpointStats{}, false
	}
	return runrec.CheckpointStats{
		Timed: d[0], Requested: d[1], BuffersWritten: d[2], BuffersBackend: d[3], BuffersClean: d[4],
		WriteTimeMs: t[0], SyncTimeMs: t[1],
	}, true
}

type checkpointCollector struct{ prev *checkpointSnap }

func (*checkpointCollector) name() string { return "checkpointer" }
func (c *checkpointCollector) forget()    { c.prev = nil }

// checkpointReading is the checkpoint activity over the last tick (nil on
// the first tick and after a reset).
type checkpointReading struct {
	outcome
	stats *runrec.CheckpointStats
}

func (r checkpointReading) record(smp *runrec.Sample) { smp.Checkpointer = r.stats }

func (c *checkpointCollector) collect(ctx context.Context, e *env) (checkpointReading, error) {
	var r checkpointReading
	q := checkpointBgwriterSQL
	if e.version() >= 170000 {
		q = checkpointCheckpointerSQL
	}
	var s checkpointSnap
	k := &s.ints
	if err := e.conn.QueryRow(ctx, q).Scan(&k[0], &k[1], &k[2], &k[3], &k[4], &s.times[0], &s.times[1], &s.reset); err != nil {
		return r, fmt.Errorf("read checkpoint statistics: %w", err)
	}
	prev := c.prev
	c.prev = &s
	if prev == nil {
		return r, nil
	}
	d, ok := s.DiffSince(*prev)
	if !ok {
		r.st = statusReset
		return r, nil
	}
	r.stats = &d
	return r, nil
}
