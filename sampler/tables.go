package sampler

import (
	"context"
	_ "embed"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/runrec"
)

var (
	//go:embed sql/tables.sql
	tablesSQL string
	//go:embed sql/relation_sizes.sql
	relationSizesSQL string
)

// tableSnap is one table's cumulative counters and its gauges.
type tableSnap struct {
	name   string
	gauges [3]int64 // live, dead, mod since analyze
	vacAge float64
	ints   [16]int64 // in the order of runrec.TableStats' delta fields
}

// indexSums are the positions in tableSnap.ints of the counters Postgres
// sums over the table's indexes (idx_scan, idx_tup_fetch, idx_blks_read,
// idx_blks_hit): dropping an index takes its share out of the sums.
var indexSums = [...]int{2, 3, 14, 15}

// DiffSince returns the table's change since prev, refusing when a counter
// went down (pg_stat_reset, or the table was re-created). Only the index
// sums going down is an index dropped, not a reset: those deltas are
// counted from zero, and the table's own counters (its seq scans, the
// signal of a missing index) stay exact.
func (c tableSnap) DiffSince(prev tableSnap) (runrec.TableStats, bool) {
	cur := c.ints
	for _, i := range indexSums {
		// The index's share is gone from the sum; the next tick's delta
		// grows from the lower total.
		cur[i] = max(cur[i], prev.ints[i])
	}
	d, ok := diffCounters(cur[:], prev.ints[:])
	if !ok {
		return runrec.TableStats{}, false
	}

	t := runrec.TableStats{
		Relation: c.name, LiveTup: c.gauges[0], DeadTup: c.gauges[1], ModSinceAnalyze: c.gauges[2],
		SeqScan: d[0], SeqTupRead: d[1], IdxScan: d[2], IdxTupFetch: d[3],
		Ins: d[4], Upd: d[5], HotUpd: d[6], Del: d[7],
		Vacuum: d[8], Autovacuum: d[9], Analyze: d[10], Autoanalyze: d[11],
		HeapBlksRead: d[12], HeapBlksHit: d[13], IdxBlksRead: d[14], IdxBlksHit: d[15],
	}
	if c.vacAge >= 0 {
		t.LastAutovacuumAgeS = c.vacAge
	}
	return t, true
}

// activity is how much the table was used over a delta, to rank tables.
func activity(t runrec.TableStats) int64 {
	return t.Ins + t.Upd + t.Del + t.SeqTupRead + t.IdxTupFetch
}

// Reading every table's statistics costs about a millisecond per hundred
// tables: with more than fullReadTables tables, only the queue tables and
// the current top tables are read each tick, and all of them (to re-rank)
// every tables/fullReadTables ticks, at most every maxFullEvery.
const (
	fullReadTables = 50
	maxFullEvery   = 60
)

type tablesCollector struct {
	prev     map[uint32]tableSnap // latest snapshot of every table read
	prevTick map[uint32]int       // the tick each snapshot is from
	tick     int
	lastFull int
	every    int      // full read every this many ticks
	top      []uint32 // most active non-queue tables at the last full read
}

func (*tablesCollector) name() string { return "tables" }
func (c *tablesCollector) forget()    { c.prev, c.prevTick = nil, nil }

// tablesReading is what the tables collector read in one tick.
type tablesReading struct {
	outcome
	// rows are the tables recorded in the sample (the queue tables whose
	// delta covers the last tick, then the most active others), nil when
	// none were.
	rows []runrec.TableStats
	// sampled are the tables whose indexes the indexes collector reads.
	sampled []uint32
	// read are the counters read this tick (nil when the read failed).
	read map[uint32]tableSnap
	// latest are the latest counters of every table read so far: the
	// collector's own map, valid until its next tick.
	latest map[uint32]tableSnap
}

func (r tablesReading) record(smp *runrec.Sample) {
	if r.rows != nil {
		smp.Tables = r.rows
	}
}

func (c *tablesCollector) collect(ctx context.Context, e *env) (tablesReading, error) {
	var r tablesReading
	c.tick++
	cur, full, err := c.read(ctx, e)
	if err != nil {
		return r, err
	}
	first := c.prev == nil
	if first {
		c.prev, c.prevTick = map[uint32]tableSnap{}, map[uint32]int{}
	}
	queue, others, reset := c.deltas(e, cur, first)
	r.read, r.latest = cur, c.prev
	if first {
		// Baseline: the queue tables are still worth sizing for indexes.
		for oid, s := range cur {
			if e.queueRels[s.name] {
				r.sampled = append(r.sampled, oid)
			}
		}
		return r, nil
	}
	if reset {
		r.st = statusReset
		return r, nil
	}
	sort.Slice(queue, func(i, j int) bool { return queue[i].t.Relation < queue[j].t.Relation })
	all := append(queue, c.rankOthers(e, others, full)...)
	if len(all) == 0 {
		return r, nil
	}
	r.sampled = make([]uint32, len(all))
	for i, row := range all {
		r.sampled[i] = row.oid
	}
	r.rows, err = sizeTables(ctx, e, all)
	return r, err
}

// read reads the tables' statistics: every table on a full read (the
// first, then every c.every ticks), otherwise the queue tables and the
// most active others. A full read that fails (too many tables for one
// statement_timeout) falls back to the queue tables alone, and full reads
// become rare. It reports whether this read was full.
func (c *tablesCollector) read(ctx context.Context, e *env) (map[uint32]tableSnap, bool, error) {
	full := c.prev == nil || c.every <= 1 || c.tick-c.lastFull >= c.every
	var filter []uint32 // nil (SQL NULL) reads every table
	if !full {
		filter = append(append([]uint32{}, e.queueOIDs...), c.top...)
	}
	cur, err := readTables(ctx, e, filter)
	if err != nil && full && !isConnLost(err) && ctx.Err() == nil {
		// Too many tables to read in one statement_timeout: sample the
		// queue tables alone and try a full read again much later.
		e.note(fmt.Sprintf("tables: reading every table's statistics failed (%v): only the queue tables are sampled; the most active other tables are looked for every %d ticks", err, maxFullEvery))
		full, c.every, c.lastFull = false, maxFullEvery, c.tick
		cur, err = readTables(ctx, e, append([]uint32{}, e.queueOIDs...))
	}
	if err != nil {
		return nil, false, err
	}
	if full {
		c.lastFull = c.tick
		c.every = min(max(1, len(cur)/fullReadTables), maxFullEvery)
	}
	return cur, full, nil
}

// tableRow is one table's change since it was last read.
type tableRow struct {
	oid   uint32
	t     runrec.TableStats
	rate  float64 // activity per tick, for ranking
	fresh bool    // the delta covers exactly the last tick
}

// deltas diffs cur against the previous snapshots (and makes cur the new
// ones): the queue tables' fresh changes, the other tables that changed,
// and whether a counter went down on a table read last tick (a reset).
// The first read only records snapshots.
func (c *tablesCollector) deltas(e *env, cur map[uint32]tableSnap, first bool) (queue, others []tableRow, reset bool) {
	for oid, now := range cur {
		before, had := c.prev[oid]
		// A table never read before was created since the last full read:
		// all its counts are new (a zero snapshot is its baseline).
		fresh := !had || c.prevTick[oid] == c.tick-1
		ticks := 1
		if had {
			ticks = c.tick - c.prevTick[oid]
		}
		c.prev[oid], c.prevTick[oid] = now, c.tick
		if first {
			continue
		}
		d, ok := now.DiffSince(before)
		if !ok {
			reset = reset || fresh
			continue
		}
		r := tableRow{oid: oid, t: d, rate: float64(activity(d)) / float64(ticks), fresh: fresh}
		switch {
		case e.queueRels[d.Relation]:
			if fresh {
				r.t.Queue = true
				queue = append(queue, r)
			}
		case r.rate > 0:
			others = append(others, r)
		}
	}
	return queue, others, reset
}

// rankOthers orders the other tables by activity, remembers the most
// active after a full read (the partial reads follow them), and keeps the
// top ones whose delta covers exactly the last tick: only those are
// recorded.
func (c *tablesCollector) rankOthers(e *env, others []tableRow, full bool) []tableRow {
	sort.Slice(others, func(i, j int) bool {
		if others[i].rate != others[j].rate {
			return others[i].rate > others[j].rate
		}
		return others[i].t.Relation < others[j].t.Relation
	})
	if full {
		c.top = c.top[:0]
		for i := 0; i < len(others) && i < e.cfg.TopTables; i++ {
			c.top = append(c.top, others[i].oid)
		}
	}
	kept := others[:0]
	for _, r := range others {
		if r.fresh && len(kept) < e.cfg.TopTables {
			kept = append(kept, r)
		}
	}
	return kept
}

// sizeTables reads the sizes of the tables in all and returns their
// statistics in that order.
func sizeTables(ctx context.Context, e *env, all []tableRow) ([]runrec.TableStats, error) {
	oids := make([]uint32, len(all))
	for i, r := range all {
		oids[i] = r.oid
	}
	sizes, err := readSizes(ctx, e, oids)
	if err != nil {
		return nil, err
	}
	out := make([]runrec.TableStats, len(all))
	for i, r := range all {
		sz := sizes[r.oid]
		r.t.HeapBytes, r.t.IndexBytes, r.t.ToastBytes = sz[0], sz[1], sz[2]
		out[i] = r.t
	}
	return out, nil
}

// readTables reads the statistics of the tables in filter (all when nil).
func readTables(ctx context.Context, e *env, filter []uint32) (map[uint32]tableSnap, error) {
	rows, err := e.conn.Query(ctx, tablesSQL, filter)
	if err != nil {
		return nil, fmt.Errorf("read pg_stat_user_tables: %w", err)
	}
	cur := map[uint32]tableSnap{}
	var oid uint32
	var s tableSnap
	g, k := &s.gauges, &s.ints
	_, err = pgx.ForEachRow(rows, []any{&oid, &s.name, &g[0], &g[1], &g[2], &s.vacAge,
		&k[0], &k[1], &k[2], &k[3], &k[4], &k[5], &k[6], &k[7], &k[8], &k[9], &k[10], &k[11], &k[12], &k[13], &k[14], &k[15]}, func() error {
		cur[oid] = s
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read pg_stat_user_tables: %w", err)
	}
	return cur, nil
}

// readSizes returns heap, index and toast bytes per table.
func readSizes(ctx context.Context, e *env, oids []uint32) (map[uint32][3]int64, error) {
	rows, err := e.conn.Query(ctx, relationSizesSQL, oids, e.dbOID)
	if err != nil {
		return nil, fmt.Errorf("read relation sizes: %w", err)
	}
	out := map[uint32][3]int64{}
	var oid uint32
	var sz [3]int64
	var locked bool
	_, err = pgx.ForEachRow(rows, []any{&oid, &sz[0], &sz[1], &sz[2], &locked}, func() error {
		out[oid] = sz
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read relation sizes: %w", err)
	}
	return out, nil
}
