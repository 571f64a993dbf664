package collect

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

// DiffSince returns the table's change since prev, refusing when a counter
// went down (pg_stat_reset, or the table was re-created).
func (c tableSnap) DiffSince(prev tableSnap) (runrec.TableStats, bool) {
	d, ok := diffCounters(c.ints[:], prev.ints[:])
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

type tablesCollector struct{ prev map[uint32]tableSnap }

func (*tablesCollector) name() string { return "tables" }
func (c *tablesCollector) forget()    { c.prev = nil }

func (c *tablesCollector) collect(ctx context.Context, e *env, smp *runrec.Sample) error {
	e.sampled = e.sampled[:0]
	rows, err := e.conn.Query(ctx, tablesSQL)
	if err != nil {
		return fmt.Errorf("read pg_stat_user_tables: %w", err)
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
		return fmt.Errorf("read pg_stat_user_tables: %w", err)
	}
	prev := c.prev
	c.prev = cur
	if e.tablesFirst == nil {
		e.tablesFirst = cur
	}
	e.tablesCur = cur
	if prev == nil {
		// Baseline: the queue tables are still worth sizing for indexes.
		for oid, s := range cur {
			if e.queueRels[s.name] {
				e.sampled = append(e.sampled, oid)
			}
		}
		return nil
	}
	type row struct {
		oid uint32
		t   runrec.TableStats
	}
	var queue, others []row
	for oid, now := range cur {
		// A table absent last tick was created since: all its counts are
		// new (a zero snapshot is its baseline).
		before := prev[oid]
		d, ok := now.DiffSince(before)
		if !ok {
			setStatus(smp, c.name(), StatusReset)
			return nil
		}
		if e.queueRels[d.Relation] {
			d.Queue = true
			queue = append(queue, row{oid, d})
		} else if activity(d) > 0 {
			others = append(others, row{oid, d})
		}
	}
	sort.Slice(queue, func(i, j int) bool { return queue[i].t.Relation < queue[j].t.Relation })
	sort.Slice(others, func(i, j int) bool { return activity(others[i].t) > activity(others[j].t) })
	if len(others) > e.cfg.TopTables {
		others = others[:e.cfg.TopTables]
	}
	all := append(queue, others...)
	if len(all) == 0 {
		return nil
	}
	oids := make([]uint32, len(all))
	for i, r := range all {
		oids[i] = r.oid
	}
	e.sampled = append(e.sampled, oids...)
	sizes, err := readSizes(ctx, e, oids)
	if err != nil {
		return err
	}
	out := make([]runrec.TableStats, len(all))
	for i, r := range all {
		sz := sizes[r.oid]
		r.t.HeapBytes, r.t.IndexBytes, r.t.ToastBytes = sz[0], sz[1], sz[2]
		out[i] = r.t
	}
	smp.Tables = out
	return nil
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
