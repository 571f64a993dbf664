package collect

import (
	"context"
	"slices"
	"strings"

	"github.com/pgqtune/pgqtune/runrec"
)

// claimedRows sums the rows that the SKIP LOCKED statements naming q
// returned over the tick (-1 when no such statement is known).
func claimedRows(e *env, q queueTable, stmts []runrec.StatementDelta) int64 {
	if len(e.claims) == 0 {
		return -1
	}
	_, bare, _ := strings.Cut(strings.ToLower(q.Name), ".")
	n := int64(-1)
	for _, s := range stmts {
		if text, ok := e.claims[s.QueryID]; ok && containsWord(text, bare) {
			n = max(n, 0) + s.Rows
		}
	}
	return n
}

// redetect looks for queue tables again (the workload may have started
// after the sampler) and, when some appear, starts watching them.
func (c *queuesCollector) redetect(ctx context.Context, e *env) error {
	qs, notes, err := resolveQueues(ctx, e, nil)
	if err != nil {
		return err
	}
	if len(qs) == 0 {
		return nil
	}
	e.setQueues(qs)
	defer func() {
		for _, st := range c.state {
			st.catchUp = true
		}
	}()
	for _, n := range notes {
		e.note("after the start, " + n)
	}
	for _, n := range c.prepare(ctx, e) {
		e.note(n)
	}
	return nil
}

// sinceStart sums the inserted and deleted rows of tables since the
// sampler's first tick (from zero for tables created since).
func sinceStart(e *env, oids []uint32) (ins, del int64, seen bool) {
	for _, oid := range oids {
		cur, ok := e.tablesCur[oid]
		if !ok {
			continue
		}
		seen = true
		first, ok := e.tablesFirst[oid]
		if d, ok2 := cur.DiffSince(first); ok && ok2 {
			ins, del = ins+d.Ins, del+d.Del
		} else {
			ins, del = ins+cur.ints[4], del+cur.ints[7]
		}
	}
	return ins, del, seen
}

// claimedSinceStart is claimedRows over the whole run so far.
func claimedSinceStart(e *env, q queueTable) int64 {
	if len(e.claims) == 0 {
		return -1
	}
	_, bare, _ := strings.Cut(strings.ToLower(q.Name), ".")
	n := int64(-1)
	for k, cur := range e.stmtsCur {
		text, ok := e.claims[k.queryID]
		if !ok || !containsWord(text, bare) {
			continue
		}
		d := cur
		if first, ok := e.stmtsFirst[k]; ok {
			if dd, ok := cur.DiffSince(first); ok {
				d = dd
			}
		}
		n = max(n, 0) + d.ints[1]
	}
	return n
}

// refreshPartitions re-reads the partitions of partitioned queue tables;
// the new ones are counted from the start on this tick.
func (c *queuesCollector) refreshPartitions(ctx context.Context, e *env) error {
	qs := append([]queueTable(nil), e.queues...)
	changed := false
	for i := range qs {
		if !qs[i].partitioned {
			continue
		}
		before := qs[i].memberOIDs
		if err := loadMembers(ctx, e, &qs[i]); err != nil {
			return err
		}
		for _, oid := range qs[i].memberOIDs {
			if !slices.Contains(before, oid) {
				c.state[i].newMembers = append(c.state[i].newMembers, oid)
				changed = true
			}
		}
		changed = changed || len(qs[i].memberOIDs) != len(before)
	}
	if changed {
		e.setQueues(qs)
	}
	return nil
}
