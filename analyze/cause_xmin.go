package analyze

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pgqtune/pgqtune/runrec"
)

func init() { register(CauseXmin, scoreXmin) }

// xminHolderScore rates how long something held the cleanup horizon in the
// window beyond what the baseline saw.
func (sc *scene) xminHolderScore(w *window) float64 {
	fr := sc.windowFrames(w)
	win := winMax(fr, nil, func(f *frame) float64 { return f.XminAgeS })
	// A hold still going when the window closed is the same hold: it
	// counts for as long as it lasted, not for how far it had got when
	// the claim recovered (on a loaded host the claim slowed early in a
	// 12 s hold and recovered at its 7th second).
	win = max(win, winMax(sc.windowFrames(sc.holdOn(w)), nil, func(f *frame) float64 { return f.XminAgeS }))
	// The median, not a high quantile: the seconds of a hold that outlast
	// the drop it caused land in the baseline.
	base := sc.baseQuantile("xmin_age_s", 0.5, nil, func(f *frame) float64 { return f.XminAgeS })
	return ramp(win-base, sc.opts.XminMinAgeS, 3*sc.opts.XminMinAgeS)
}

// scoreXmin: a session, slot or prepared transaction held the xmin horizon
// (presence) while dead tuples it kept piled up on a queue table and each
// claim got dearer as they grew (effect). It scores on the effect. A
// horizon held by a query that is itself busy on CPU yields to
// cpu_saturation when the CPU shows its effect too: measured on the
// skiplocked adapter at 1,000 jobs/s, the same CPU-bound queries held in
// the queue's database made the claim read 38 -> 5,347 buffers and cut
// throughput 65%, but on a quiet host an idle transaction making the
// claim read as much left the throughput whole, and the queries alone in
// another database cut it too (38% on a loaded host); the hogs are the
// cause, the horizon they hold contributes.
func scoreXmin(sc *scene, w *window) verdict {
	hold := sc.xminHolderScore(w)
	ds := sc.deadTuples(w.I0, w.I1+1)
	dead, worst := sc.deadScore(ds)
	if hold == 0 && worst != nil && worst.Vacuums >= 3 && dead > 0 &&
		winMax(sc.windowFrames(w), nil, func(f *frame) float64 { return f.XminAgeS }) >= 1 {
		// No single long holder, but vacuum kept running in vain while
		// sessions kept taking snapshots that outlived each other.
		hold = 0.5
	}
	if hold == 0 {
		return verdict{}
	}
	// The mechanism is measured over the whole hold, not only the seconds
	// the rate was low: the dead tuples pile up from its start, and the
	// vacuum that follows its end must not hide them.
	hw := sc.holdWindow(w)
	ds = sc.deadTuples(hw.I0, hw.I1+1)
	for i := range ds {
		ds[i].Last = ds[i].Max
	}
	if len(ds) > 0 {
		sort.SliceStable(ds, func(a, b int) bool { return ds[a].Growth() > ds[b].Growth() })
		dead, worst = sc.deadScore(ds)
	}
	growing := worst != nil && worst.Growth() > 0
	cost := sc.claimCostOver(sc.windowFrames(hw))
	// Not discounted by how much of the claim's time its extra buffers
	// explain: with a held horizon the time per buffer grows too (every
	// dead row's visibility is checked against the running transactions),
	// so a claim 50x slower for 5x the buffers is still this cause.
	effect := cost.Effect()
	if cost.Signal == "buffers" {
		// The claim's time can grow with the dead tuples while its
		// buffers barely move (few dead rows per page, each checked for
		// visibility): that counts too, discounted below by how much
		// the enqueue and complete slowed alike.
		if ms := sc.claimCostIn(sc.windowFrames(hw), "ms"); 0.8*ms.Effect() > effect {
			cost, effect = ms, 0.8*ms.Effect()
		}
	}
	excess, hasOthers := sc.statementsAlike(sc.windowFrames(w)).ClaimExcess()
	if hasOthers && effect > 0 {
		// The claim took longer, but if the enqueue and the complete
		// slowed as much, the time went elsewhere. Buffers are another
		// matter: a busy CPU slows every statement but makes none read
		// more, so a claim reading ten times the buffers as the dead
		// tuples grow is this cause however the others fared (under
		// make test-stress, 13 -> 1,178 buffers per call while the
		// complete slowed as much as the claim). A hog that holds the
		// horizon itself is told apart by YieldsTo below.
		alike := ramp(excess, 1.2, 2)
		if cost.Signal == "buffers" {
			alike = max(alike, ramp(cost.Ratio, 3, 10))
		}
		effect *= alike
	}
	if cost.Signal == "" && growing {
		// No claim statement to measure: the dead tuples are all there
		// is, and they stand for part of the effect.
		effect = 0.6 * dead
	}
	if !growing {
		dead, effect = 0, 0
	}
	v := verdict{Score: hold * (0.35 + 0.1*dead + 0.55*effect)}
	h := sc.oldestHolder(sc.holdOn(w))
	if h != nil {
		v.Summary = holderDetail(h)
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "xmin_holder.age_s", Value: round(h.AgeS, 1), Detail: holderDetail(h)})
		if h.PID != 0 {
			v.PIDs = append(v.PIDs, h.PID)
		}
	} else {
		v.Summary = "a session held back the xmin horizon"
	}
	if sc.holderOnCPU(w, h) {
		// The holder is a long query busy on CPU: when the CPU is
		// saturated as well, that is the cause and the horizon it holds
		// one of its consequences (removing the query removes both).
		v.YieldsTo = []string{CauseCPU}
	} else if lk := sc.lockBehindHold(w, h); lk != "" {
		// The snapshots were held by sessions stuck behind a lock (or
		// holding one while others queued): they end when the lock
		// does, so the lock is the cause and the horizon one of its
		// consequences (under make test-stress, hot rows locked for
		// 0.7 s at a time kept 11 vacuums from cutting 1,376 dead
		// tuples, and xmin_horizon was named over row_lock_contention).
		v.YieldsTo = []string{lk}
	}
	v.PresenceOnly = effect < 0.5
	if !growing {
		v.Summary += ", but no dead tuples piled up on the queue tables"
		return v.onCPUNote()
	}
	d := fmt.Sprintf("n_dead_tup on %s rose from %s to %s (autovacuum trigger %s) and could not be removed", worst.Table, num(worst.First), num(worst.Last), num(worst.Trigger))
	if worst.Vacuums > 0 {
		d += fmt.Sprintf("; %d vacuums ran in the window without cutting it", worst.Vacuums)
	}
	v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "pg_stat_user_tables.n_dead_tup", Value: worst.Last, Baseline: ptr(worst.First), Detail: d})
	v.Objects = append(v.Objects, worst.Table)
	if ev, ok := cost.evidence(); ok {
		v.Evidence = append(v.Evidence, ev)
	}
	switch {
	case effect >= 0.5 && cost.Signal != "":
		v.Summary += fmt.Sprintf(" and held back cleanup: %s dead tuples on %s, and each claim %s as they grew", num(worst.Growth()), worst.Table, cost.phrase())
	case effect >= 0.5:
		v.Summary += fmt.Sprintf(" and held back cleanup: %s dead tuples on %s", num(worst.Growth()), worst.Table)
	default:
		v.Summary += fmt.Sprintf(": %s dead tuples on %s, not yet enough to slow the claim", num(worst.Growth()), worst.Table)
	}
	return v.onCPUNote()
}

// onCPUNote says, for a holder that is a CPU hog itself, that the same
// query was busy on CPU.
func (v verdict) onCPUNote() verdict {
	if slices.Contains(v.YieldsTo, CauseCPU) {
		v.Summary += "; the holding query was itself busy on CPU"
	}
	return v
}

// holdOn is w stretched forward over the seconds its xmin hold went on
// after it (up to two minutes): the frames where the horizon's age kept
// growing from where the window left it.
func (sc *scene) holdOn(w *window) *window {
	hw := *w
	fr := sc.windowFrames(w)
	n := len(fr)
	if n == 0 || fr[n-1].XminAgeS <= 0 {
		return &hw
	}
	last := fr[n-1].XminAgeS
	for _, f := range sc.frameRange(fr[n-1].Slot+1, fr[n-1].Slot+int(120/sc.tl.StepS)) {
		if f.XminAgeS < last {
			break
		}
		last = f.XminAgeS
		// windowFrames runs one slot past I1.
		hw.I1 = f.Slot - 1
	}
	return &hw
}

// holdWindow is w stretched back to when its xmin holder started holding
// (up to two minutes), and up to the holder's last second in w.
func (sc *scene) holdWindow(w *window) *window {
	hw := *w
	fr := sc.frameRange(max(0, w.I0-int(120/sc.tl.StepS)), w.I0)
	for k := len(fr) - 1; k >= 0; k-- {
		if fr[k].XminAgeS < sc.opts.XminMinAgeS/5 {
			break
		}
		hw.I0 = max(0, fr[k].Slot-1)
	}
	// A drop outlasts its hold while the backlog drains; the claim's cost
	// in those seconds is back to normal and says nothing of what the
	// hold did (a 20 s hold's last third read 4,600 buffers a claim, the
	// ten seconds of draining after it 100).
	held := sc.windowFrames(&hw)
	for k := len(held) - 1; k >= 0; k-- {
		if held[k].XminAgeS >= sc.opts.XminMinAgeS/5 {
			// windowFrames runs one slot past I1.
			hw.I1 = max(hw.I0+2, min(hw.I1, held[k].Slot-1))
			break
		}
	}
	return &hw
}

// evidence states the claim's cost against the dead tuples.
func (c claimCost) evidence() (runrec.Evidence, bool) {
	if c.Signal == "" || c.N < 3 {
		return runrec.Evidence{}, false
	}
	sig := "pg_stat_statements.claim_blks_per_call"
	if c.Signal == "ms" {
		sig = "pg_stat_statements.claim_mean_ms"
	}
	return runrec.Evidence{Signal: sig, Value: round(c.Late, 3), Baseline: ptr(round(c.Base, 3)),
		Detail: fmt.Sprintf("the claim cost %s %s per call late in the window (baseline %s) while dead tuples went from %s to %s; correlation %.2f",
			num(c.Late), c.unit(), num(c.Base), num(c.DeadFirst), num(c.DeadMax), c.Corr)}, true
}

func (c claimCost) unit() string {
	if c.Signal == "ms" {
		return "ms"
	}
	return "buffers"
}

// phrase reads like "read 6 -> 31 buffers".
func (c claimCost) phrase() string {
	if c.Signal == "ms" {
		return fmt.Sprintf("took %s -> %s ms", num(c.Base), num(c.Late))
	}
	return fmt.Sprintf("read %s -> %s buffers", num(c.Base), num(c.Late))
}

// oldestHolder is the xmin holder with the greatest age in the window,
// falling back to pg_stat_activity's oldest xmin backend.
func (sc *scene) oldestHolder(w *window) *runrec.XminHolder {
	var best *runrec.XminHolder
	for _, s := range sc.windowSamples(w) {
		for i := range s.XminHolders {
			h := s.XminHolders[i]
			if !holdsQueueTables(h) {
				continue
			}
			h.AgeS = holderAgeS(s, h)
			if best == nil || h.AgeS > best.AgeS || (h.AgeS == best.AgeS && h.XminAge > best.XminAge) {
				best = &h
			}
		}
		if a := s.Activity; a != nil && a.OldestXmin != nil && (best == nil || a.OldestXmin.XactAgeS > best.AgeS) {
			b := a.OldestXmin
			kind := runrec.XminBackendActive
			if strings.HasPrefix(b.State, "idle in transaction") {
				kind = runrec.XminBackendIdleInXact
			}
			best = &runrec.XminHolder{Kind: kind, PID: b.PID, Name: b.ApplicationName, State: b.State, Query: b.Query, XminAge: b.XminAge, AgeS: b.XactAgeS}
		}
	}
	return best
}

// holderDetail reads like "pid 4242 (idle in transaction, psql) held the
// xmin horizon for 35 s (1,204 transactions behind): BEGIN ...".
func holderDetail(h *runrec.XminHolder) string {
	var who string
	switch h.Kind {
	case runrec.XminSlot, runrec.XminSlotCatalog:
		who = fmt.Sprintf("replication slot %q", h.Name)
	case runrec.XminPrepared:
		who = fmt.Sprintf("prepared transaction %q", h.Name)
	case runrec.XminStandby:
		who = "a standby's hot_standby_feedback"
		if h.Name != "" {
			who += " (" + h.Name + ")"
		}
	default:
		who = fmt.Sprintf("pid %d", h.PID)
		var tags []string
		if h.State != "" {
			tags = append(tags, h.State)
		}
		if h.Name != "" {
			tags = append(tags, h.Name)
		}
		if len(tags) > 0 {
			who += " (" + strings.Join(tags, ", ") + ")"
		}
	}
	s := who + " held the xmin horizon"
	if h.AgeS > 0 {
		s += " for " + dur(h.AgeS)
	}
	if h.XminAge > 0 {
		s += fmt.Sprintf(" (%s transactions behind)", num(float64(h.XminAge)))
	}
	if h.Query != "" {
		s += ": " + clip(h.Query, 160)
	}
	return s
}

// lockBehindHold names the lock cause a held horizon is a consequence of:
// the workload waited on locks in w while the holder was an active session
// not busy on CPU, or no single session held it at all (vacuum ran in vain
// between snapshots). An idle-in-transaction session, a prepared
// transaction or a slot holds the horizon whatever the locks do: "".
func (sc *scene) lockBehindHold(w *window, h *runrec.XminHolder) string {
	if h != nil && h.Kind != runrec.XminBackendActive {
		return ""
	}
	fr := sc.windowFrames(w)
	locks := func(f *frame) bool { return f.HasLocks }
	row, _ := winMean(fr, locks, func(f *frame) float64 { return f.RowLockWorkload })
	rel, _ := winMean(fr, locks, func(f *frame) float64 { return f.RelLockWorkload })
	switch {
	case row == 0 && rel == 0:
		return ""
	case row >= rel:
		return CauseRowLock
	default:
		return CauseLock
	}
}
