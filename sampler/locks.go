package sampler

import (
	"context"
	_ "embed"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/runrec"
)

var (
	//go:embed sql/locks_waiting.sql
	locksWaitingSQL string
	//go:embed sql/locks_blockers.sql
	locksBlockersSQL string
	//go:embed sql/locks_prepared.sql
	locksPreparedSQL string
)

// maxLockWaits caps the waits listed per tick (the counts stay exact).
const maxLockWaits = 50

type locksCollector struct{ waitingSQL, blockersSQL string }

func (*locksCollector) name() string { return "locks" }
func (*locksCollector) forget()      {}

// locksReading is the lock waits at this tick. With an error, it holds the
// counts read before the blockers could be described.
type locksReading struct {
	outcome
	locks *runrec.Locks
}

func (r locksReading) record(smp *runrec.Sample) { smp.Locks = r.locks }

func (c *locksCollector) collect(ctx context.Context, e *env) (locksReading, error) {
	var r locksReading
	if c.waitingSQL == "" {
		ws := "a.query_start"
		if e.version() >= 140000 {
			ws = "coalesce(l.waitstart, a.query_start)"
		}
		c.waitingSQL = strings.ReplaceAll(locksWaitingSQL, "{{waitstart}}", ws)
		qid := "0"
		if e.version() >= 140000 {
			qid = "a.query_id"
		}
		c.blockersSQL = strings.ReplaceAll(locksBlockersSQL, "{{query_id}}", qid)
	}
	rows, err := e.conn.Query(ctx, c.waitingSQL, e.dbOID)
	if err != nil {
		return r, fmt.Errorf("read pg_locks: %w", err)
	}
	var waits []runrec.LockWait
	var w runrec.LockWait
	var app string
	var blockedBy []int32
	_, err = pgx.ForEachRow(rows, []any{&w.PID, &w.LockType, &w.Mode, &w.Relation, &w.WaitingS, &w.Query, &app, &blockedBy}, func() error {
		w.Workload = e.isWorkload(app, w.Query)
		w.BlockedBy = make([]int, len(blockedBy))
		for i, p := range blockedBy {
			w.BlockedBy[i] = int(p)
		}
		waits = append(waits, w)
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("read pg_locks: %w", err)
	}
	l := &runrec.Locks{Waiting: len(waits)}
	r.locks = l
	if len(waits) == 0 {
		return r, nil
	}
	l.ByMode = map[string]int{}
	for _, w := range waits {
		l.ByMode[w.LockType+":"+w.Mode]++
	}
	heads := chainHeads(waits)
	if len(heads) > 0 {
		if l.Blockers, err = c.describeBlockers(ctx, e, heads, waits); err != nil {
			return r, err
		}
	}
	sort.Slice(waits, func(i, j int) bool { return waits[i].WaitingS > waits[j].WaitingS })
	if len(waits) > maxLockWaits {
		waits = waits[:maxLockWaits]
	}
	l.Waits = waits
	return r, nil
}

// chainHeads maps each session at the head of a blocking chain (a blocker
// that is not itself waiting; 0 is a prepared transaction) to how many
// waiting sessions it holds up, directly or through others.
func chainHeads(waits []runrec.LockWait) map[int]int {
	blockers := map[int][]int{}
	for _, w := range waits {
		blockers[w.PID] = w.BlockedBy
	}
	heads := map[int]int{}
	for _, w := range waits {
		seen := map[int]bool{w.PID: true}
		found := map[int]bool{}
		queue := append([]int(nil), w.BlockedBy...)
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			if seen[p] {
				continue
			}
			seen[p] = true
			if up, waiting := blockers[p]; waiting && len(up) > 0 {
				queue = append(queue, up...)
				continue
			}
			found[p] = true
		}
		if len(found) == 0 {
			// A cycle (a deadlock about to be detected): blame the
			// direct blockers.
			for _, p := range w.BlockedBy {
				found[p] = true
			}
		}
		for p := range found {
			heads[p]++
		}
	}
	return heads
}

// describeBlockers reads what each chain head holds and runs.
func (c *locksCollector) describeBlockers(ctx context.Context, e *env, heads map[int]int, waits []runrec.LockWait) ([]runrec.LockBlocker, error) {
	// The relations the waiters want, to name the mode held on them.
	wanted := map[string]bool{}
	for _, w := range waits {
		if w.Relation != "" {
			wanted[w.Relation] = true
		}
	}
	var pids []int32
	for p := range heads {
		if p != 0 {
			pids = append(pids, int32(p))
		}
	}
	var out []runrec.LockBlocker
	if len(pids) > 0 {
		rows, err := e.conn.Query(ctx, c.blockersSQL, pids, e.dbOID)
		if err != nil {
			return nil, fmt.Errorf("read lock blockers: %w", err)
		}
		var b runrec.LockBlocker
		var held []string
		_, err = pgx.ForEachRow(rows, []any{&b.PID, &b.State, &b.Query, &b.ApplicationName, &b.XactAgeS, &b.QueryID, &held}, func() error {
			b.Relation, b.ModeHeld = heldOn(held, wanted)
			b.Workload = e.isWorkload(b.ApplicationName, b.Query)
			b.HeldS = b.XactAgeS
			b.Blocked = heads[b.PID]
			out = append(out, b)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read lock blockers: %w", err)
		}
	}
	if n, ok := heads[0]; ok {
		rows, err := e.conn.Query(ctx, locksPreparedSQL, e.dbOID)
		if err != nil {
			return nil, fmt.Errorf("read prepared transactions: %w", err)
		}
		var gid, owner string
		var age float64
		var held []string
		_, err = pgx.ForEachRow(rows, []any{&gid, &owner, &age, &held}, func() error {
			rel, mode := heldOn(held, wanted)
			if rel == "" && len(wanted) > 0 && len(held) > 0 {
				return nil // holds nothing anyone waits for
			}
			out = append(out, runrec.LockBlocker{
				PID: 0, Prepared: true, ModeHeld: mode, Relation: rel, State: "prepared",
				Query: "PREPARE TRANSACTION '" + gid + "'", ApplicationName: owner,
				XactAgeS: age, HeldS: age, Blocked: n,
			})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read prepared transactions: %w", err)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Blocked > out[j].Blocked })
	return out, nil
}

// heldOn picks, from "relation<TAB>mode" entries, the relation someone waits
// for and the modes held on it. Without a relation wait (row locks wait on
// the holder's transaction id) the holder's strongest relation lock is
// shown.
func heldOn(held []string, wanted map[string]bool) (rel, modes string) {
	var ms []string
	best, bestRank := "", -1
	for _, h := range held {
		r, m, _ := strings.Cut(h, "\t")
		if wanted[r] {
			if rel == "" || rel == r {
				rel = r
				ms = append(ms, m)
			}
			continue
		}
		if rk := lockRank[m]; rk > bestRank {
			best, bestRank = h, rk
		}
	}
	if rel != "" {
		return rel, strings.Join(ms, ",")
	}
	if best == "" {
		return "", ""
	}
	r, m, _ := strings.Cut(best, "\t")
	return r, m
}

// lockRank orders table lock modes from weakest to strongest.
var lockRank = map[string]int{
	"AccessShareLock": 1, "RowShareLock": 2, "RowExclusiveLock": 3, "ShareUpdateExclusiveLock": 4,
	"ShareLock": 5, "ShareRowExclusiveLock": 6, "ExclusiveLock": 7, "AccessExclusiveLock": 8,
}
