package collect

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgqtune/pgqtune/runrec"
)

var (
	//go:embed sql/queue_depth.sql
	queueDepthSQL string
	//go:embed sql/queue_oldest.sql
	queueOldestSQL string
	//go:embed sql/queue_inflight.sql
	queueInflightSQL string
	//go:embed sql/queue_rows.sql
	queueRowsSQL string
)

// depthCap is the most waiting jobs a tick counts (queue_depth.sql's LIMIT
// minus one).
const depthCap = 100000

// queueState is what the queue collector keeps per queue between ticks.
type queueState struct {
	depthSQL, oldestSQL, inflightSQL string
	note                             string

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
	inflight                    paced[int64]   // the in-flight count
	oldest                      paced[float64] // the oldest job's age past the depth cap
	oldestReplanned             bool           // re-EXPLAINed once the backlog passed the cap
	catchUp                     bool           // found after the start: next tick counts since then
	newMembers                  []uint32       // partitions added while running
}

type queuesCollector struct {
	state    []*queueState
	prepared bool
	ticks    int
}

// While no queue table is known (and none were named) the sampler looks
// again every tick for the first redetectEager ticks (a workload started
// just after it), then every redetectEvery ticks.
const (
	redetectEager = 30
	// refreshPartitionsEvery: pg-boss adds a partition per new queue name
	// while it runs.
	refreshPartitionsEvery = 30
	redetectEvery          = 10
)

func (*queuesCollector) name() string { return "queues" }

func (c *queuesCollector) forget() {
	for _, st := range c.state {
		st.prevUnfinished, st.prevDepth, st.carry, st.carryDeq = -1, -1, 0, 0
	}
}

// prepare builds each queue's queries and keeps only those the planner can
// answer cheaply, noting the others.
func (c *queuesCollector) prepare(ctx context.Context, e *env) []string {
	var notes []string
	c.state = make([]*queueState, len(e.queues))
	for i, q := range e.queues {
		st := &queueState{prevUnfinished: -1, prevDepth: -1}
		c.state[i] = st
		k := q.kind
		if k == nil {
			rows := strings.ReplaceAll(queueRowsSQL, "{{table}}", q.ident)
			if ok, reason := cheap(ctx, e, rows); ok {
				st.depthSQL = rows
			} else {
				st.note = "row count not sampled (" + reason + "): depth is the live-tuple estimate"
				notes = append(notes, "queue "+q.Name+": "+st.note)
			}
			continue
		}
		r := strings.NewReplacer("{{table}}", q.ident, "{{pending}}", k.pending, "{{time}}", k.timeCol, "{{inflight}}", k.inflight)
		var why []string
		if ok, reason := cheap(ctx, e, r.Replace(queueDepthSQL)); ok {
			st.depthSQL = r.Replace(queueDepthSQL)
			if ok, _ := cheap(ctx, e, r.Replace(queueOldestSQL)); ok {
				st.oldestSQL = r.Replace(queueOldestSQL)
			}
		} else {
			why = append(why, fmt.Sprintf("depth and oldest pending age not sampled (%s); an index on %s WHERE %s would serve it; dequeues are the rows its claim statements return (pg_stat_statements)",
				reason, q.Name, k.pending))
		}
		if k.inflight != "" {
			if ok, reason := cheap(ctx, e, r.Replace(queueInflightSQL)); ok {
				st.inflightSQL = r.Replace(queueInflightSQL)
			} else if !k.completeByDelete {
				why = append(why, fmt.Sprintf("in-flight jobs not counted (%s): completions are approximated by dequeues", reason))
			}
		}
		if len(why) > 0 {
			st.note = strings.Join(why, "; ")
			notes = append(notes, "queue "+q.Name+": "+st.note)
		}
	}
	c.prepared = true
	return notes
}

func (c *queuesCollector) collect(ctx context.Context, e *env, smp *runrec.Sample) error {
	var usage float64
	if err := e.conn.QueryRow(ctx, "SELECT pg_catalog.pg_notification_queue_usage() /* pgqtune */").Scan(&usage); err != nil {
		return fmt.Errorf("read pg_notification_queue_usage: %w", err)
	}
	smp.Notify = &usage
	c.ticks++
	if len(e.queues) == 0 && len(e.cfg.QueueTables) == 0 && (c.ticks <= redetectEager || c.ticks%redetectEvery == 0) {
		if err := c.redetect(ctx, e); err != nil {
			return err
		}
	}
	if len(e.queues) == 0 {
		return nil
	}
	if c.ticks%refreshPartitionsEvery == 0 {
		if err := c.refreshPartitions(ctx, e); err != nil {
			return err
		}
	}
	tables := map[string]*runrec.TableStats{}
	for i := range smp.Tables {
		tables[smp.Tables[i].Relation] = &smp.Tables[i]
	}
	for i, q := range e.queues {
		st := c.state[i]
		qh := runrec.QueueHealth{Table: q.Name, System: q.System, Depth: -1, OldestPendingAgeS: -1, InFlight: -1, Note: st.note}
		var ins, del, live int64
		seen := false
		for j, m := range q.Members {
			if slices.Contains(st.newMembers, q.memberOIDs[j]) {
				// A partition added while running: everything since the
				// start, not this tick's delta, which was not yet the
				// queue's.
				i, d, ok := sinceStart(e, q.memberOIDs[j:j+1])
				ins, del, seen = ins+i, del+d, seen || ok
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
		st.newMembers = nil
		claimed := claimedRows(e, q, smp.Statements)
		if st.catchUp {
			// Found after the start: count everything since the sampler's
			// first tick, when the queue was (as far as it can tell) empty.
			st.catchUp = false
			ins, del, seen = sinceStart(e, q.memberOIDs)
			claimed = claimedSinceStart(e, q)
			st.prevDepth, st.prevUnfinished = 0, 0
			qh.Note = strings.TrimPrefix(qh.Note+"; found after the sampler started: this tick counts everything since then", "; ")
		}
		if err := c.count(ctx, e, st, &qh); err != nil {
			return err
		}
		if st.depthSQL == "" && seen && q.kind == nil {
			qh.Depth = live
		}
		unfinished := int64(-1)
		if qh.Depth >= 0 && (qh.InFlight >= 0 || st.inflightSQL == "") {
			unfinished = qh.Depth + max(qh.InFlight, 0)
		}
		if seen {
			qh.Enqueued = ins
			if qh.Depth >= 0 && st.prevDepth >= 0 && st.depthSQL != "" && q.kind != nil {
				qh.Dequeued, st.carryDeq = settle(ins+st.gapIns-(qh.Depth-st.prevDepth), st.carryDeq)
			} else if st.depthSQL == "" && q.kind != nil && claimed > 0 {
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
				st.cumDel += del
				if claimed > 0 {
					qh.Dequeued = claimed
					st.cumClaimed += claimed
				}
				total := max(st.cumDel, st.cumClaimed)
				qh.Completed, st.emitted = total-st.emitted, total
			case q.kind.completeByDelete:
				qh.Completed = del
			case unfinished >= 0 && st.prevUnfinished >= 0 && st.inflightSQL != "":
				qh.Completed, st.carry = settle(ins+st.gapInsU-(unfinished-st.prevUnfinished), st.carry)
			default:
				qh.Completed = qh.Dequeued
			}
		}
		if q.kind == nil && st.cumClaimed > 0 && st.cumDel == 0 {
			// Jobs stay in the table when done: its rows are not its depth.
			qh.Depth = -1
		}
		st.prevDepth, st.gapIns = bridge(st.prevDepth, qh.Depth, st.gapIns, qh.Enqueued)
		st.prevUnfinished, st.gapInsU = bridge(st.prevUnfinished, unfinished, st.gapInsU, qh.Enqueued)
		smp.Queues = append(smp.Queues, qh)
	}
	return nil
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

// count reads one queue's depth, oldest pending age and in-flight count.
// Failures other than a lost connection disable the query with a note.
func (c *queuesCollector) count(ctx context.Context, e *env, st *queueState, qh *runrec.QueueHealth) error {
	fail := func(what string, err error, disable *string) error {
		if isConnLost(err) || e.conn.IsClosed() || ctx.Err() != nil {
			return err
		}
		msg := what + " not sampled: " + err.Error()
		if !strings.Contains(st.note, msg) {
			st.note = strings.TrimPrefix(st.note+"; "+msg, "; ")
		}
		qh.Note = st.note
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42501" {
			*disable = ""
		}
		return nil
	}
	if st.depthSQL != "" {
		if err := e.conn.QueryRow(ctx, st.depthSQL).Scan(&qh.Depth, &qh.OldestPendingAgeS); err != nil {
			qh.Depth, qh.OldestPendingAgeS = -1, -1
			return fail("depth", err, &st.depthSQL)
		}
		if qh.Depth > depthCap {
			qh.Depth = depthCap
			qh.OldestPendingAgeS = -1
			if err := c.oldestPastCap(ctx, e, st, qh); err != nil {
				return fail("oldest pending age", err, &st.oldestSQL)
			}
			qh.Note = strings.TrimPrefix(qh.Note+"; depth capped at 100000", "; ")
		}
	}
	if st.inflightSQL != "" {
		// In-flight jobs are few and change little: while the count is
		// slow, the last one stands in.
		n, err := st.inflight.get(func() (n int64, err error) {
			err = e.conn.QueryRow(ctx, st.inflightSQL).Scan(&n)
			return n, err
		})
		if err != nil {
			qh.InFlight = -1
			return fail("in-flight count", err, &st.inflightSQL)
		}
		qh.InFlight = n
	}
	return nil
}

// oldestPastCap reads the oldest waiting job's age when the backlog is too
// big to count. The query was judged cheap at the start, when the table may
// have been empty: it is EXPLAINed again the first time the cap is passed
// (a sort of a million rows every second would starve the workload), and
// like the in-flight count it runs less often when it is slow, the last
// reading standing in meanwhile.
func (c *queuesCollector) oldestPastCap(ctx context.Context, e *env, st *queueState, qh *runrec.QueueHealth) error {
	if st.oldestSQL != "" && !st.oldestReplanned {
		st.oldestReplanned = true
		if ok, reason := indexOrdered(ctx, e, st.oldestSQL); !ok {
			st.oldestSQL = ""
			msg := "oldest pending age not sampled past 100000 waiting jobs (" + reason + "); an index on the time column under the pending predicate would serve it"
			st.note = strings.TrimPrefix(st.note+"; "+msg, "; ")
			qh.Note = st.note
		}
	}
	if st.oldestSQL == "" {
		return nil
	}
	age, err := st.oldest.get(func() (age float64, err error) {
		err = e.conn.QueryRow(ctx, st.oldestSQL).Scan(&age)
		return age, err
	})
	if err != nil {
		return err
	}
	qh.OldestPendingAgeS = age
	return nil
}

// paced runs a sampling query less often when it is slow: after one that
// took d it skips slowQueryEvery(d)-1 ticks, the last reading standing in.
type paced[T any] struct {
	last T
	due  int // ticks until the query runs again
}

// get returns the last reading while it may stand in, and otherwise runs
// read and keeps what it returns. A failed read is tried again next tick.
func (p *paced[T]) get(read func() (T, error)) (T, error) {
	if p.due > 0 {
		p.due--
		return p.last, nil
	}
	t0 := time.Now()
	v, err := read()
	if err != nil {
		return v, err
	}
	p.last, p.due = v, slowQueryEvery(time.Since(t0))-1
	return v, nil
}

// queryBudget is what a tick may spend on a queue's in-flight count: a
// slower count (no index on the in-flight predicate, a table bloated by
// churn) runs only every few ticks.
const queryBudget = time.Millisecond

// slowQueryEvery returns how often (in ticks) a query that took d may run.
func slowQueryEvery(d time.Duration) int {
	return min(max(1, int(d/queryBudget)), 30)
}
