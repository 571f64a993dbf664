package analyze

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pgqtune/pgqtune/runrec"
)

func init() {
	register(CauseLock, func(sc *scene, w *window) verdict { return scoreLocks(sc, w, false) })
	register(CauseRowLock, func(sc *scene, w *window) verdict { return scoreLocks(sc, w, true) })
}

// scoreLocks scores heavyweight lock waits: relation-level ones for
// lock_contention, tuple/transactionid ones (hot rows) for
// row_lock_contention. Waits by the workload's own sessions count fully;
// foreign sessions waiting among themselves count for less.
func scoreLocks(sc *scene, w *window, row bool) verdict {
	fr := sc.windowFrames(w)
	has := func(f *frame) bool { return f.HasLocks }
	waits := func(f *frame) float64 { return f.RelLockWaits }
	wl := func(f *frame) float64 { return f.RelLockWorkload }
	if row {
		waits = func(f *frame) float64 { return f.RowLockWaits }
		wl = func(f *frame) float64 { return f.RowLockWorkload }
	}
	winAll, ok := winMean(fr, has, waits)
	if !ok {
		return verdict{}
	}
	winWL, _ := winMean(fr, has, wl)
	baseAll := sc.baseMean(fmt.Sprintf("lock_waits_%v", row), has, waits)
	fracAll := winFrac(fr, has, func(f *frame) bool { return waits(f) > 0 })
	fracWL := winFrac(fr, has, func(f *frame) bool { return wl(f) > 0 })
	sWL := 0.6*ramp(fracWL, 0.1, 0.5) + 0.4*ramp(winWL, 0.2, 1)
	sAll := 0.6*ramp(fracAll, 0.1, 0.5) + 0.4*ramp(winAll-baseAll, 0.2, 1)
	score := max(sWL, 0.6*sAll)
	// Waits that are as common as at baseline are the workload's normal.
	if winAll <= baseAll*1.5 {
		score *= 0.3
	}
	if score == 0 {
		return verdict{}
	}
	return lockVerdict(sc, w, row, score)
}

// blockerAgg is one blocking session over the window.
type blockerAgg struct {
	runrec.LockBlocker
	ticks   int
	blocked int // sum over ticks
}

// lockVerdict gathers the waits and their blockers for evidence.
func lockVerdict(sc *scene, w *window, row bool, score float64) verdict {
	v := verdict{Score: score}
	lw := newLockWaits(row)
	for _, s := range sc.windowSamples(w) {
		lw.add(s)
	}
	lw.waitEvidence(&v)
	bl := lw.blockerEvidence(sc, &v)
	what := "relation locks"
	if row {
		what = "row locks"
	}
	if len(bl) > 0 {
		v.Summary = fmt.Sprintf("%s; up to %d sessions waited on %s", blockerDetail(&bl[0].LockBlocker, row), lw.maxWaiting, what)
	} else {
		v.Summary = fmt.Sprintf("up to %d sessions waited on %s (blocker not identified)", lw.maxWaiting, what)
	}
	switch {
	case row && ownClaimShare(bl, sc.q.ClaimID) >= 0.5:
		// The rows were held by the workload's own claim while it ran:
		// under READ COMMITTED a claim that locks a row, then finds on
		// re-checking the newest version that another worker took it,
		// keeps the lock until it ends, and that worker's complete
		// waits. The waits last as long as the claim does, so they are
		// the claim's slowness seen from the complete: whatever slowed
		// the claim is the cause.
		v.Summary += " (rows the workload's own claim locked while it ran slowly: a claim keeps the lock on rows it re-checked and found taken until it ends)"
		v.YieldsTo = claimSlowers
	case row:
		v.Summary += " (hot rows locked without SKIP LOCKED)"
	}
	return v
}

// claimSlowers are the causes that make the claim itself slower: row locks
// its own sessions hold while they run yield to them.
var claimSlowers = []string{CauseXmin, CauseMissingIndex, CauseBloat, CauseVacuumLag, CauseCPU, CauseIO}

// ownClaimShare is the share of the waits blocked by workload sessions that
// were running the claim statement (known by pg_stat_activity.query_id,
// Postgres 14+).
func ownClaimShare(bl []*blockerAgg, claim map[int64]bool) float64 {
	var own, all int
	for _, b := range bl {
		all += b.blocked
		if b.Workload && b.QueryID != 0 && claim[b.QueryID] && b.State == "active" {
			own += b.blocked
		}
	}
	if all == 0 {
		return 0
	}
	return float64(own) / float64(all)
}

// waitKey is one kind of lock wait: the relation and lock type:mode.
type waitKey struct{ rel, mode string }

// lockWaits sums a window's lock waits of one kind (row or relation locks)
// and the sessions that blocked them, sample by sample.
type lockWaits struct {
	row        bool
	waitTicks  map[waitKey]int    // samples with such a wait
	waitMax    map[waitKey]int    // most sessions waiting at once
	waitQuery  map[waitKey]string // a workload statement that waited
	blockers   map[int]*blockerAgg
	maxWaiting int
}

func newLockWaits(row bool) *lockWaits {
	return &lockWaits{row: row, waitTicks: map[waitKey]int{}, waitMax: map[waitKey]int{},
		waitQuery: map[waitKey]string{}, blockers: map[int]*blockerAgg{}}
}

// add counts one sample's waits of the kind, then its blockers of them.
func (lw *lockWaits) add(s *runrec.Sample) {
	if s.Locks == nil {
		return
	}
	relevant := map[int]bool{}
	perKey := map[waitKey]int{}
	n := 0
	for _, w := range s.Locks.Waits {
		if isRowLock(w.LockType) != lw.row {
			continue
		}
		n++
		k := waitKey{w.Relation, w.LockType + ":" + w.Mode}
		perKey[k]++
		if lw.waitQuery[k] == "" && w.Workload {
			lw.waitQuery[k] = w.Query
		}
		for _, p := range w.BlockedBy {
			relevant[p] = true
		}
	}
	lw.maxWaiting = max(lw.maxWaiting, n)
	for k, c := range perKey {
		lw.waitTicks[k]++
		lw.waitMax[k] = max(lw.waitMax[k], c)
	}
	for _, b := range s.Locks.Blockers {
		if len(relevant) > 0 && !relevant[b.PID] {
			continue
		}
		if len(relevant) == 0 && n == 0 {
			continue
		}
		lw.addBlocker(b)
	}
}

// addBlocker merges one sample's view of a blocking session into its
// aggregate: the longest hold and transaction, the first mode, relation and
// statement seen, the last state.
func (lw *lockWaits) addBlocker(b runrec.LockBlocker) {
	a := lw.blockers[b.PID]
	if a == nil {
		a = &blockerAgg{LockBlocker: b}
		lw.blockers[b.PID] = a
	}
	a.ticks++
	a.blocked += b.Blocked
	if b.HeldS > a.HeldS {
		a.HeldS = b.HeldS
	}
	if b.XactAgeS > a.XactAgeS {
		a.XactAgeS = b.XactAgeS
	}
	if a.ModeHeld == "" {
		a.ModeHeld = b.ModeHeld
	}
	if a.Relation == "" {
		a.Relation = b.Relation
	}
	if a.Query == "" {
		a.Query = b.Query
	}
	a.State = b.State
}

// waitEvidence adds the three most frequent kinds of wait to v, with the
// relations they were on.
func (lw *lockWaits) waitEvidence(v *verdict) {
	keys := make([]waitKey, 0, len(lw.waitTicks))
	for k := range lw.waitTicks {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		if lw.waitTicks[keys[a]] != lw.waitTicks[keys[b]] {
			return lw.waitTicks[keys[a]] > lw.waitTicks[keys[b]]
		}
		return keys[a].rel+keys[a].mode < keys[b].rel+keys[b].mode
	})
	for i, k := range keys {
		if i == 3 {
			break
		}
		on := ""
		if k.rel != "" {
			on = " on " + k.rel
			v.Objects = append(v.Objects, k.rel)
		}
		detail := fmt.Sprintf("up to %d sessions waited for %s%s, in %d samples", lw.waitMax[k], k.mode, on, lw.waitTicks[k])
		if q := lw.waitQuery[k]; q != "" {
			detail += ": " + clip(q, 120)
		}
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "pg_locks.waiting", Value: float64(lw.waitMax[k]), Detail: detail})
	}
}

// blockerEvidence adds the three blockers that blocked the most to v and
// returns every blocker, most blocking first.
func (lw *lockWaits) blockerEvidence(sc *scene, v *verdict) []*blockerAgg {
	bl := make([]*blockerAgg, 0, len(lw.blockers))
	for _, b := range lw.blockers {
		bl = append(bl, b)
	}
	sort.Slice(bl, func(a, b int) bool {
		if bl[a].blocked != bl[b].blocked {
			return bl[a].blocked > bl[b].blocked
		}
		return bl[a].PID < bl[b].PID
	})
	for i, b := range bl {
		if i == 3 {
			break
		}
		if lw.row {
			// What a row-lock blocker holds at the relation level (a
			// RowShareLock on an index, say) says nothing about the rows.
			if sc.q.Tables[b.Relation] {
				v.Objects = append(v.Objects, b.Relation)
			}
			b.ModeHeld, b.Relation = "", ""
		}
		v.PIDs = append(v.PIDs, b.PID)
		if b.Relation != "" {
			v.Objects = append(v.Objects, b.Relation)
		}
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "pg_locks.blocker", Value: float64(b.PID), Detail: blockerDetail(&b.LockBlocker, lw.row)})
	}
	return bl
}

// blockerDetail reads like "AccessExclusiveLock on pgqtune.job held by pid
// 4242 (idle in transaction, psql) for 21 s: LOCK TABLE ...".
func blockerDetail(b *runrec.LockBlocker, row bool) string {
	var sb strings.Builder
	who := fmt.Sprintf("pid %d", b.PID)
	if b.Prepared || b.PID == 0 {
		who = "a prepared transaction"
	}
	var tags []string
	if b.State != "" {
		tags = append(tags, b.State)
	}
	if b.ApplicationName != "" {
		tags = append(tags, b.ApplicationName)
	}
	if len(tags) > 0 {
		who += " (" + strings.Join(tags, ", ") + ")"
	}
	held := b.HeldS
	if held == 0 {
		held = b.XactAgeS
	}
	if row {
		// Row locks are held by the blocker's transaction: name the
		// session and what it ran.
		sb.WriteString(who + " held the rows")
	} else {
		mode := cmpOr(b.ModeHeld, "a lock")
		sb.WriteString(mode)
		if b.Relation != "" {
			sb.WriteString(" on " + b.Relation)
		}
		sb.WriteString(" held by " + who)
	}
	if held > 0 {
		sb.WriteString(" for " + dur(held))
	}
	if b.Query != "" {
		sb.WriteString(": " + clip(b.Query, 160))
	}
	return sb.String()
}
