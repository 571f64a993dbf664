package sampler

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

//go:embed sql/database.sql
var databaseSQL string

// databaseSnap is one pg_stat_database reading.
type databaseSnap struct {
	counters [13]int64 // in the order of runrec.DatabaseStats' counter fields
	times    [2]float64
	backends int64
	reset    time.Time
}

// DiffSince returns the delta from prev, refusing when a counter went down
// or stats_reset changed.
func (c databaseSnap) DiffSince(prev databaseSnap) (runrec.DatabaseStats, bool) {
	if !c.reset.Equal(prev.reset) {
		return runrec.DatabaseStats{}, false
	}
	d, t, ok := diffCountsAndTimes(c.counters[:], prev.counters[:], c.times[:], prev.times[:])
	if !ok {
		return runrec.DatabaseStats{}, false
	}
	return runrec.DatabaseStats{
		XactCommit: d[0], XactRollback: d[1], BlksRead: d[2], BlksHit: d[3],
		TupReturned: d[4], TupFetched: d[5], TupInserted: d[6], TupUpdated: d[7], TupDeleted: d[8],
		TempFiles: d[9], TempBytes: d[10], Deadlocks: d[11], Conflicts: d[12],
		BlkReadTimeMs: t[0], BlkWriteTimeMs: t[1],
		NumBackends: c.backends,
	}, true
}

type databaseCollector struct{ prev *databaseSnap }

func (*databaseCollector) name() string { return "database" }
func (c *databaseCollector) forget()    { c.prev = nil }

// databaseReading is the database's activity over the last tick (nil on
// the first tick and after a reset).
type databaseReading struct {
	outcome
	stats *runrec.DatabaseStats
}

func (r databaseReading) record(smp *runrec.Sample) { smp.Database = r.stats }

func (c *databaseCollector) collect(ctx context.Context, e *env) (databaseReading, error) {
	var r databaseReading
	var s databaseSnap
	k := &s.counters
	err := e.conn.QueryRow(ctx, databaseSQL).Scan(&k[0], &k[1], &k[2], &k[3], &k[4], &k[5], &k[6], &k[7], &k[8],
		&k[9], &k[10], &k[11], &k[12], &s.times[0], &s.times[1], &s.backends, &s.reset)
	if err != nil {
		return r, fmt.Errorf("read pg_stat_database: %w", err)
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
