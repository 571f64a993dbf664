package sampler

import (
	"context"
	_ "embed"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/runrec"
)

//go:embed sql/indexes.sql
var indexesSQL string

// indexSnap is one index's cumulative counters.
type indexSnap struct {
	table, index string
	ints         [3]int64 // idx_scan, idx_tup_read, idx_tup_fetch
	size         int64
}

// DiffSince returns the index's use since prev, refusing on a reset.
func (c indexSnap) DiffSince(prev indexSnap) (runrec.IndexStats, bool) {
	d, ok := diffCounters(c.ints[:], prev.ints[:])
	if !ok {
		return runrec.IndexStats{}, false
	}
	return runrec.IndexStats{Relation: c.table, Index: c.index, SizeBytes: c.size,
		IdxScan: d[0], TupRead: d[1], TupFetch: d[2]}, true
}

type indexesCollector struct {
	prev map[uint32]indexSnap
	defs map[uint32]bool // indexes whose definition was already written
}

func (*indexesCollector) name() string { return "indexes" }
func (c *indexesCollector) forget()    { c.prev = nil }

// indexesReading is the use of the sampled tables' indexes over the last
// tick.
type indexesReading struct {
	outcome
	indexes []runrec.IndexStats
}

func (r indexesReading) record(smp *runrec.Sample) {
	if r.indexes != nil {
		smp.Indexes = r.indexes
	}
}

// collect reads the indexes of the tables the tables collector sampled
// this tick (tablesReading.sampled).
func (c *indexesCollector) collect(ctx context.Context, e *env, sampled []uint32) (indexesReading, error) {
	var r indexesReading
	if c.defs == nil {
		c.defs = map[uint32]bool{}
	}
	if len(sampled) == 0 {
		c.prev = nil
		return r, nil
	}
	known := make([]uint32, 0, len(c.defs))
	for oid := range c.defs {
		known = append(known, oid)
	}
	rows, err := e.conn.Query(ctx, indexesSQL, sampled, e.dbOID, known)
	if err != nil {
		return r, fmt.Errorf("read pg_stat_user_indexes: %w", err)
	}
	cur := map[uint32]indexSnap{}
	defs := map[uint32]string{}
	var oid uint32
	var s indexSnap
	var def string
	_, err = pgx.ForEachRow(rows, []any{&oid, &s.table, &s.index, &s.ints[0], &s.ints[1], &s.ints[2], &s.size, &def}, func() error {
		cur[oid] = s
		if def != "" {
			defs[oid] = def
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("read pg_stat_user_indexes: %w", err)
	}
	prev := c.prev
	c.prev = cur
	if prev == nil {
		return r, nil
	}
	var out []runrec.IndexStats
	for oid, now := range cur {
		before, ok := prev[oid]
		if !ok {
			continue
		}
		d, ok := now.DiffSince(before)
		if !ok {
			r.st = statusReset
			return r, nil
		}
		if def, ok := defs[oid]; ok {
			d.Definition = def
			c.defs[oid] = true
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Relation != out[j].Relation {
			return out[i].Relation < out[j].Relation
		}
		return out[i].Index < out[j].Index
	})
	r.indexes = out
	return r, nil
}
