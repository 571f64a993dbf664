package sampler

import (
	"maps"
	"slices"
	"strings"

	"github.com/pgqtune/pgqtune/runrec"
)

// readings are what the collectors read in one tick, each its own. Only
// those that derive combines are kept here; the others are recorded in the
// sample as they arrive.
type readings struct {
	tables     tablesReading
	statements statementsReading
	queues     queuesReading
	// queuesFailed says the queue collector ended in an error.
	queuesFailed bool
}

// derived is the sampler's state across ticks for what no one collector
// sees alone: the cumulative counters at the first tick and now (so that
// a queue found while running is counted from the start) and each queue's
// accounting of enqueued, dequeued and completed jobs.
type derived struct {
	tablesFirst, tablesCur map[uint32]tableSnap
	stmtsFirst, stmtsCur   map[stmtKey]stmtCounters
	queues                 []*queueAccount // one per queue of the list, in its order
}

// queueAccount is one queue's accounting between ticks.
type queueAccount struct {
	prevUnfinished int64 // depth + in flight at the last tick, -1 unknown
	prevDepth      int64
	carry          int64 // negative completions owed from earlier ticks
	carryDeq       int64
	// While the depth (or the in-flight count) cannot be read for a few
	// ticks (its count timed out behind a lock), the last known value
	// stays the reference and the inserts of those ticks are held here
	// for the next tick that reads it. Without them, inserts counted
	// during the gap and a depth read after it that already holds them
	// were counted twice: a 5 s table lock on real pg-boss made observe
	// count 2,456 completions for the library's 2,005.
	gapIns, gapInsU int64
	// Plain tables: deleted and claimed rows so far, and the completions
	// recorded so far.
	cumDel, cumClaimed, emitted int64
}

func newQueueAccounts(n int) []*queueAccount {
	out := make([]*queueAccount, n)
	for i := range out {
		out[i] = &queueAccount{prevUnfinished: -1, prevDepth: -1}
	}
	return out
}

// forget drops the queues' last levels (after a lost connection, or a tick
// whose queue reading failed): the next levels read are a new reference.
func (d *derived) forget() {
	for _, a := range d.queues {
		a.prevUnfinished, a.prevDepth, a.carry, a.carryDeq = -1, -1, 0, 0
	}
}

// derive runs after the collectors of a tick (also one cut short by a lost
// connection, over what was read before it): it folds the tick's
// cumulative counters into the first/current ones, then computes each
// queue's health from its levels (queue reading), its tables' deltas
// (tables reading) and the rows its claim statements returned (statements
// reading, claims: the claim statements' queryids and lowercased texts,
// from the role decision), and records it in smp. nQueues is the length of
// the queue list after the tick.
func (d *derived) derive(r *readings, claims map[int64]string, nQueues int, smp *runrec.Sample) {
	if t := r.tables; t.read != nil {
		if d.tablesFirst == nil {
			d.tablesFirst = maps.Clone(t.read)
		}
		d.tablesCur = t.latest
	}
	if s := r.statements; s.counters != nil {
		if d.stmtsFirst == nil || s.restarted {
			d.stmtsFirst = s.counters
		}
		d.stmtsCur = s.counters
	}
	if r.queues.found || len(d.queues) != nQueues {
		// A new list (found after the start): its queues start afresh.
		d.queues = newQueueAccounts(nQueues)
	}
	tables := map[string]*runrec.TableStats{}
	for i := range r.tables.rows {
		tables[r.tables.rows[i].Relation] = &r.tables.rows[i]
	}
	for i, l := range r.queues.levels {
		smp.Queues = append(smp.Queues, d.queueHealth(d.queues[i], l, tables, r.statements.deltas, claims))
	}
	if r.queuesFailed {
		d.forget()
	}
}

// queueHealth computes one queue's enqueued, dequeued and completed jobs
// over the tick, and the depth of a plain table, from its levels l.
func (d *derived) queueHealth(a *queueAccount, l queueLevels, tables map[string]*runrec.TableStats, stmts []runrec.StatementDelta, claims map[int64]string) runrec.QueueHealth {
	q, qh := l.q, l.health
	var ins, del, live int64
	seen := false
	for j, m := range q.Members {
		if slices.Contains(l.newMembers, q.memberOIDs[j]) {
			// A partition added while running: everything since the
			// start, not this tick's delta, which was not yet the
			// queue's.
			i, dl, ok := d.sinceStart(q.memberOIDs[j : j+1])
			ins, del, seen = ins+i, del+dl, seen || ok
			if t, ok := tables[m]; ok {
				live += t.LiveTup
			}
			continue
		}
		if t, ok := tables[m]; ok {
			ins, del, live = ins+t.Ins, del+t.Del, live+t.LiveTup
			seen = true
		}
	}
	claimed := claimedRows(claims, q, stmts)
	if l.found {
		// Found after the start: count everything since the sampler's
		// first tick, when the queue was (as far as it can tell) empty.
		ins, del, seen = d.sinceStart(q.memberOIDs)
		claimed = d.claimedSinceStart(claims, q)
		a.prevDepth, a.prevUnfinished = 0, 0
	}
	if !l.depthSampled && seen && q.kind == nil {
		qh.Depth = live
	}
	unfinished := int64(-1)
	if qh.Depth >= 0 && (qh.InFlight >= 0 || !l.inflightSampled) {
		unfinished = qh.Depth + max(qh.InFlight, 0)
	}
	if seen {
		qh.Enqueued = ins
		if qh.Depth >= 0 && a.prevDepth >= 0 && l.depthSampled && q.kind != nil {
			qh.Dequeued, a.carryDeq = settle(ins+a.gapIns-(qh.Depth-a.prevDepth), a.carryDeq)
		} else if !l.depthSampled && q.kind != nil && claimed > 0 {
			// The depth is not sampled (its count would scan the table:
			// a pg-boss queue whose fetch index is gone): the rows the
			// queue's claim statements returned are its dequeues, so
			// a library queue's throughput is still seen.
			qh.Dequeued = claimed
		}
		switch {
		case q.kind == nil:
			// A plain table's jobs finish by being deleted, or by an
			// update its SKIP LOCKED statement makes: whichever counts
			// more so far is the measure. The two lag differently
			// (statement counters are immediate, tuple counters are
			// flushed lazily), so only the growth of the larger total
			// is recorded, never both.
			a.cumDel += del
			if claimed > 0 {
				qh.Dequeued = claimed
				a.cumClaimed += claimed
			}
			total := max(a.cumDel, a.cumClaimed)
			qh.Completed, a.emitted = total-a.emitted, total
		case q.kind.completeByDelete:
			qh.Completed = del
		case unfinished >= 0 && a.prevUnfinished >= 0 && l.inflightSampled:
			qh.Completed, a.carry = settle(ins+a.gapInsU-(unfinished-a.prevUnfinished), a.carry)
		default:
			qh.Completed = qh.Dequeued
		}
	}
	if q.kind == nil && a.cumClaimed > 0 && a.cumDel == 0 {
		// Jobs stay in the table when done: its rows are not its depth.
		qh.Depth = -1
	}
	a.prevDepth, a.gapIns = bridge(a.prevDepth, qh.Depth, a.gapIns, qh.Enqueued)
	a.prevUnfinished, a.gapInsU = bridge(a.prevUnfinished, unfinished, a.gapInsU, qh.Enqueued)
	return qh
}

// bridge returns the reference level and the inserts owed to it after a
// tick that read level cur (-1: not read) with ins inserts: a read level
// becomes the reference and clears the debt; an unread one keeps the last
// known reference and adds the tick's inserts to what the next read owes.
func bridge(prev, cur, owed, ins int64) (ref, newOwed int64) {
	if cur >= 0 || prev < 0 {
		return cur, 0
	}
	return prev, owed + ins
}

// settle adds what earlier ticks owe to n; a negative result (the counters
// a backend has not flushed yet) is carried to the next tick instead of
// being recorded, so totals stay exact and no tick is negative.
func settle(n, carry int64) (out, newCarry int64) {
	n += carry
	if n < 0 {
		return 0, n
	}
	return n, 0
}

// claimedRows sums the rows that the claim statements naming q returned
// over the tick (-1 when no such statement is known).
func claimedRows(claims map[int64]string, q queueTable, stmts []runrec.StatementDelta) int64 {
	if len(claims) == 0 {
		return -1
	}
	_, bare, _ := strings.Cut(strings.ToLower(q.Name), ".")
	n := int64(-1)
	for _, s := range stmts {
		if text, ok := claims[s.QueryID]; ok && containsWord(text, bare) {
			n = max(n, 0) + s.Rows
		}
	}
	return n
}

// sinceStart sums the inserted and deleted rows of tables since the
// sampler's first tick (from zero for tables created since).
func (d *derived) sinceStart(oids []uint32) (ins, del int64, seen bool) {
	for _, oid := range oids {
		cur, ok := d.tablesCur[oid]
		if !ok {
			continue
		}
		seen = true
		first, ok := d.tablesFirst[oid]
		if dd, ok2 := cur.DiffSince(first); ok && ok2 {
			ins, del = ins+dd.Ins, del+dd.Del
		} else {
			ins, del = ins+cur.ints[4], del+cur.ints[7]
		}
	}
	return ins, del, seen
}

// claimedSinceStart is claimedRows over the whole run so far.
func (d *derived) claimedSinceStart(claims map[int64]string, q queueTable) int64 {
	if len(claims) == 0 {
		return -1
	}
	_, bare, _ := strings.Cut(strings.ToLower(q.Name), ".")
	n := int64(-1)
	for k, cur := range d.stmtsCur {
		text, ok := claims[k.queryID]
		if !ok || !containsWord(text, bare) {
			continue
		}
		dd := cur
		if first, ok := d.stmtsFirst[k]; ok {
			if x, ok := cur.DiffSince(first); ok {
				dd = x
			}
		}
		n = max(n, 0) + dd.ints[1]
	}
	return n
}
