package sampler

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
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

// queueState is what the queue collector keeps per queue between ticks:
// the queries it may run and what they said last.
type queueState struct {
	depthSQL, oldestSQL, inflightSQL string
	note                             string

	inflight        paced[int64]   // the in-flight count
	oldest          paced[float64] // the oldest job's age past the depth cap
	oldestReplanned bool           // re-EXPLAINed once the backlog passed the cap
	catchUp         bool           // found after the start: next tick counts since then
	newMembers      []uint32       // partitions added while running
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

// forget keeps the prepared queries: a reconnect does not change which
// are cheap. (The queue accounting over ticks is the derive step's; see
// derived.forget.)
func (*queuesCollector) forget() {}

// prepare builds each queue's queries and keeps only those the planner can
// answer cheaply, noting the others.
func (c *queuesCollector) prepare(ctx context.Context, e *env) []string {
	return c.prepareQueues(ctx, e, e.queues)
}

// prepareQueues builds the queries of queues (the list at start, or the
// one the collector just found).
func (c *queuesCollector) prepareQueues(ctx context.Context, e *env, queues []queueTable) []string {
	var notes []string
	c.state = make([]*queueState, len(queues))
	for i, q := range queues {
		st := &queueState{}
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

// queuesReading is what the queue collector read in one tick: the NOTIFY
// queue's usage, the queue list when it found queues or partitions, and
// each queue's levels. Enqueued, dequeued and completed counts are not
// read here: derive computes them from the tables, statements and these
// levels.
type queuesReading struct {
	outcome
	notify *float64
	// queues is the new queue list when this tick found queues (found) or
	// new partitions of partitioned ones; nil when the list is unchanged.
	queues []queueTable
	found  bool
	// levels are one per queue of the list, in its order; on a lost
	// connection, those read before it.
	levels []queueLevels
}

func (r queuesReading) record(smp *runrec.Sample) {
	if r.notify != nil {
		smp.Notify = r.notify
	}
}

// queueLevels is one queue's levels at one tick, and what derive needs to
// know about how they were read.
type queueLevels struct {
	q queueTable
	// health has Table, System, Note and the levels (Depth,
	// OldestPendingAgeS, InFlight; -1 when not read) filled in.
	health runrec.QueueHealth
	// depthSampled and inflightSampled say the depth and in-flight queries
	// are (still) run for this queue.
	depthSampled, inflightSampled bool
	// found: the queue was found after the start and is counted for the
	// first time: everything since the sampler's first tick.
	found bool
	// newMembers are partitions added while running, found this tick.
	newMembers []uint32
}

func (c *queuesCollector) collect(ctx context.Context, e *env) (queuesReading, error) {
	var r queuesReading
	var usage float64
	if err := e.conn.QueryRow(ctx, "SELECT pg_catalog.pg_notification_queue_usage() /* pgqtune */").Scan(&usage); err != nil {
		return r, fmt.Errorf("read pg_notification_queue_usage: %w", err)
	}
	r.notify = &usage
	c.ticks++
	queues := e.queues
	if len(queues) == 0 && len(e.cfg.QueueTables) == 0 && (c.ticks <= redetectEager || c.ticks%redetectEvery == 0) {
		qs, err := c.redetect(ctx, e)
		if err != nil {
			return r, err
		}
		if qs != nil {
			queues, r.queues, r.found = qs, qs, true
		}
	}
	if len(queues) == 0 {
		return r, nil
	}
	if c.ticks%refreshPartitionsEvery == 0 {
		qs, err := c.refreshPartitions(ctx, e, queues)
		if err != nil {
			return r, err
		}
		if qs != nil {
			queues, r.queues = qs, qs
		}
	}
	for i, q := range queues {
		st := c.state[i]
		l := queueLevels{q: q, found: st.catchUp, newMembers: st.newMembers,
			health: runrec.QueueHealth{Table: q.Name, System: q.System, Depth: -1, OldestPendingAgeS: -1, InFlight: -1, Note: st.note}}
		st.catchUp, st.newMembers = false, nil
		if l.found {
			l.health.Note = strings.TrimPrefix(l.health.Note+"; found after the sampler started: this tick counts everything since then", "; ")
		}
		if err := c.count(ctx, e, st, &l.health); err != nil {
			return r, err
		}
		l.depthSampled, l.inflightSampled = st.depthSQL != "", st.inflightSQL != ""
		r.levels = append(r.levels, l)
	}
	return r, nil
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
