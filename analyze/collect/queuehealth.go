package collect

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

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
)

// depthCap is the most waiting jobs a tick counts (queue_depth.sql's LIMIT
// minus one).
const depthCap = 100000

// maxPlanCost is the planner cost above which a queue query is not run
// every tick (a sequential scan of a big table costs this much and more).
const maxPlanCost = 5000

// queueState is what the queue collector keeps per queue between ticks.
type queueState struct {
	depthSQL, oldestSQL, inflightSQL string
	note                             string

	prevUnfinished int64 // depth + in flight at the last tick, -1 unknown
	prevDepth      int64
	carry          int64 // negative completions owed from earlier ticks
	carryDeq       int64
}

type queuesCollector struct {
	state    []*queueState
	prepared bool
}

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
			why = append(why, fmt.Sprintf("depth and oldest pending age not sampled (%s); an index on %s WHERE %s would serve it",
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

// cheap EXPLAINs q and says whether it is cheap enough to run every tick.
func cheap(ctx context.Context, e *env, q string) (bool, string) {
	var plan []byte
	if err := e.conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+q).Scan(&plan); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42501" {
			return false, "no privilege: GRANT SELECT ON the table TO " + e.role
		}
		return false, "cannot plan: " + err.Error()
	}
	var p []struct {
		Plan planNode `json:"Plan"`
	}
	if err := json.Unmarshal(plan, &p); err != nil || len(p) == 0 {
		return false, "cannot read plan"
	}
	if p[0].Plan.TotalCost > maxPlanCost && p[0].Plan.hasSeqScan() {
		return false, fmt.Sprintf("the plan is a sequential scan costing %.0f", p[0].Plan.TotalCost)
	}
	return true, ""
}

// planNode is the part of an EXPLAIN (FORMAT JSON) node the check reads.
type planNode struct {
	NodeType  string     `json:"Node Type"`
	TotalCost float64    `json:"Total Cost"`
	Plans     []planNode `json:"Plans"`
}

func (n planNode) hasSeqScan() bool {
	if n.NodeType == "Seq Scan" {
		return true
	}
	for _, c := range n.Plans {
		if c.hasSeqScan() {
			return true
		}
	}
	return false
}

func (c *queuesCollector) collect(ctx context.Context, e *env, smp *runrec.Sample) error {
	var usage float64
	if err := e.conn.QueryRow(ctx, "SELECT pg_catalog.pg_notification_queue_usage() /* pgqtune */").Scan(&usage); err != nil {
		return fmt.Errorf("read pg_notification_queue_usage: %w", err)
	}
	smp.Notify = &usage
	if len(e.queues) == 0 {
		return nil
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
		for _, m := range q.Members {
			if t, ok := tables[m]; ok {
				ins, del, live = ins+t.Ins, del+t.Del, live+t.LiveTup
				seen = true
			}
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
			if qh.Depth >= 0 && st.prevDepth >= 0 && st.depthSQL != "" {
				qh.Dequeued, st.carryDeq = settle(ins-(qh.Depth-st.prevDepth), st.carryDeq)
			}
			switch {
			case q.kind == nil || q.kind.completeByDelete:
				qh.Completed = del
			case unfinished >= 0 && st.prevUnfinished >= 0 && st.inflightSQL != "":
				qh.Completed, st.carry = settle(ins-(unfinished-st.prevUnfinished), st.carry)
			default:
				qh.Completed = qh.Dequeued
			}
		}
		st.prevDepth, st.prevUnfinished = qh.Depth, unfinished
		smp.Queues = append(smp.Queues, qh)
	}
	return nil
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
			if st.oldestSQL != "" {
				if err := e.conn.QueryRow(ctx, st.oldestSQL).Scan(&qh.OldestPendingAgeS); err != nil {
					return fail("oldest pending age", err, &st.oldestSQL)
				}
			}
			qh.Note = strings.TrimPrefix(qh.Note+"; depth capped at 100000", "; ")
		}
	}
	if st.inflightSQL != "" {
		if err := e.conn.QueryRow(ctx, st.inflightSQL).Scan(&qh.InFlight); err != nil {
			qh.InFlight = -1
			return fail("in-flight count", err, &st.inflightSQL)
		}
	}
	return nil
}
