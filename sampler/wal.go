package sampler

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

var (
	//go:embed sql/wal_lsn.sql
	walLSNSQL string
	//go:embed sql/wal_stat.sql
	walStatSQL string
)

// walSnap is one WAL reading: the LSN always, pg_stat_wal from 14.
type walSnap struct {
	lsn     int64
	hasStat bool
	ints    [6]int64 // records, fpi, bytes, buffers_full, write, sync
	times   [2]float64
	reset   time.Time
}

// DiffSince returns the WAL written since prev, refusing when a counter went
// down or pg_stat_wal was reset.
func (c walSnap) DiffSince(prev walSnap) (runrec.WALStats, bool) {
	if c.lsn < prev.lsn || c.hasStat != prev.hasStat || !c.reset.Equal(prev.reset) {
		return runrec.WALStats{}, false
	}
	out := runrec.WALStats{LSNBytes: c.lsn - prev.lsn, HasStatWAL: c.hasStat}
	if !c.hasStat {
		return out, true
	}
	d, t, ok := diffCountsAndTimes(c.ints[:], prev.ints[:], c.times[:], prev.times[:])
	if !ok {
		return runrec.WALStats{}, false
	}
	out.Records, out.FPI, out.Bytes, out.BuffersFull, out.Write, out.Sync = d[0], d[1], d[2], d[3], d[4], d[5]
	out.WriteTimeMs, out.SyncTimeMs = t[0], t[1]
	return out, true
}

type walCollector struct{ prev *walSnap }

func (*walCollector) name() string { return "wal" }
func (c *walCollector) forget()    { c.prev = nil }

// walReading is the WAL written over the last tick (nil on the first tick
// and after a reset).
type walReading struct {
	outcome
	stats *runrec.WALStats
}

func (r walReading) record(smp *runrec.Sample) { smp.WAL = r.stats }

func (c *walCollector) collect(ctx context.Context, e *env) (walReading, error) {
	var r walReading
	var s walSnap
	if err := e.conn.QueryRow(ctx, walLSNSQL).Scan(&s.lsn); err != nil {
		return r, fmt.Errorf("read WAL position: %w", err)
	}
	if e.version() >= 140000 {
		k := &s.ints
		if err := e.conn.QueryRow(ctx, walStatSQL).Scan(&k[0], &k[1], &k[2], &k[3], &k[4], &k[5],
			&s.times[0], &s.times[1], &s.reset); err != nil {
			return r, fmt.Errorf("read pg_stat_wal: %w", err)
		}
		s.hasStat = true
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
