package analyze

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pgqtune/pgqtune/runrec"
)

// Cause codes: aliases of runrec's, which owns their spelling (runrec/causes.go).
const (
	CauseLock         = runrec.CauseLock
	CauseRowLock      = runrec.CauseRowLock
	CauseXmin         = runrec.CauseXmin
	CauseVacuumLag    = runrec.CauseVacuumLag
	CauseBloat        = runrec.CauseBloat
	CauseMissingIndex = runrec.CauseMissingIndex
	CauseCheckpoint   = runrec.CauseCheckpoint
	CauseWALWrite     = runrec.CauseWALWrite
	CauseCPU          = runrec.CauseCPU
	CauseIO           = runrec.CauseIO
	CauseConnections  = runrec.CauseConnections
	CauseClientBound  = runrec.CauseClientBound
	CauseUnavailable  = runrec.CauseUnavailable
	CauseUnknown      = runrec.CauseUnknown
)

// verdict is one cause's case for a window.
type verdict struct {
	Cause    string
	Score    float64 // [0,1]
	Summary  string  // the clause after "because"/":" in the finding
	Evidence []runrec.Evidence
	Objects  []string
	PIDs     []int
	// PresenceOnly marks a cause whose signal was there but whose effect
	// was not measured in the window (a holder whose dead tuples did not
	// yet slow the claim): it may contribute, never be the finding's cause.
	PresenceOnly bool
	// YieldsTo names the causes this one yields to when one of them
	// showed its effect and cleared the bar too: a horizon held by the
	// very sessions that saturate the CPU is one consequence of them, and
	// the CPU they take is what the DBA must look at first.
	YieldsTo []string
}

// scorer scores one cause for one window.
type scorer func(sc *scene, w *window) verdict

var causes = map[string]scorer{}

// register adds a cause; each cause_*.go file registers itself in init.
func register(code string, s scorer) { causes[code] = s }

// CauseCodes returns the codes analyze can name, sorted, plus "unknown".
func CauseCodes() []string {
	out := make([]string, 0, len(causes)+1)
	for c := range causes {
		out = append(out, c)
	}
	sort.Strings(out)
	return append(out, CauseUnknown)
}

// attribute scores every cause for w and returns them best first (ties by
// code, so the order is deterministic).
func (sc *scene) attribute(w *window) []verdict {
	codes := make([]string, 0, len(causes))
	for c := range causes {
		if w.Only == nil || slices.Contains(w.Only, c) {
			codes = append(codes, c)
		}
	}
	sort.Strings(codes)
	out := make([]verdict, 0, len(codes))
	for _, c := range codes {
		v := causes[c](sc, w)
		v.Cause = c
		v.Score = round(clamp01(v.Score), 3)
		out = append(out, v)
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Score != out[b].Score {
			return out[a].Score > out[b].Score
		}
		return tiePriority(out[a].Cause) < tiePriority(out[b].Cause)
	})
	return out
}

// tieOrder breaks ties between equally scored causes: direct, acute causes
// (a blocker, an outage) before the conditions they leave behind.
var tieOrder = []string{CauseLock, CauseRowLock, CauseUnavailable, CauseXmin, CauseVacuumLag, CauseMissingIndex,
	CauseCheckpoint, CauseWALWrite, CauseCPU, CauseIO, CauseConnections, CauseBloat, CauseClientBound}

func tiePriority(c string) int {
	if i := slices.Index(tieOrder, c); i >= 0 {
		return i
	}
	return len(tieOrder)
}

// finding turns a window and its verdicts into a runrec.Finding (without
// its ID, given later in time order).
func (sc *scene) finding(w *window, vs []verdict) runrec.Finding {
	f := runrec.Finding{
		Cause:             CauseUnknown,
		Start:             sc.startTime(w),
		End:               sc.endTime(w),
		Kind:              w.Kind,
		ThroughputDropPct: round(w.DropPct, 1),
		LatencyFactor:     round(w.LatencyFactor, 2),
		BacklogFactor:     round(w.BacklogFactor, 2),
		JobsDelayed:       round(w.JobsDelayed, 0),
		Evidence:          sc.windowEvidence(w),
		Objects:           []string{},
		PIDs:              []int{},
	}
	if w.Kind == runrec.FindingWholeRun || w.Kind == runrec.FindingTrend || w.Kind == runrec.FindingOutage {
		f.LatencyFactor, f.BacklogFactor = 0, 0
	}
	// A cause shown only by its presence yields to any that showed an
	// effect and cleared the bar.
	// One that yields to another cause with an effect comes after it.
	vs = slices.Clone(vs)
	effective := func(v verdict) bool { return !v.PresenceOnly && v.Score >= sc.opts.MinCauseScore }
	rank := func(v verdict) int {
		switch {
		case !effective(v):
			return 2
		case slices.ContainsFunc(vs, func(u verdict) bool { return slices.Contains(v.YieldsTo, u.Cause) && effective(u) }):
			return 1
		}
		return 0
	}
	ranks := make(map[string]int, len(vs))
	for _, v := range vs {
		ranks[v.Cause] = rank(v)
	}
	sort.SliceStable(vs, func(a, b int) bool { return ranks[vs[a].Cause] < ranks[vs[b].Cause] })
	var top verdict
	if len(vs) > 0 {
		top = vs[0]
	}
	rest := vs
	if top.Score >= sc.opts.MinCauseScore && !top.PresenceOnly {
		f.Cause = top.Cause
		// The runner-up competes with the cause named, unless it yields
		// to a cause with an effect (a horizon held by the CPU hogs
		// themselves, the pages its dead tuples fill).
		second := 0.0
		for _, v := range vs[1:] {
			if ranks[v.Cause] != 1 && !slices.Contains(v.YieldsTo, top.Cause) {
				second = max(second, v.Score)
			}
		}
		f.Confidence = round(clamp01(top.Score*(1-0.5*second/top.Score)), 2)
		f.Evidence = append(f.Evidence, top.Evidence...)
		f.Objects = append(f.Objects, top.Objects...)
		f.PIDs = append(f.PIDs, top.PIDs...)
		rest = vs[1:]
		for _, v := range rest {
			// A contributing cause must clear the naming bar on its own
			// evidence; weaker ones stay mere alternatives.
			if v.Score < sc.opts.MinCauseScore || v.Summary == "" {
				continue
			}
			f.Contributing = append(f.Contributing, runrec.Contributor{Cause: v.Cause, Score: round(v.Score, 2),
				Summary: "also: " + strings.TrimSuffix(v.Summary, ".") + "."})
		}
	} else {
		f.Confidence = round(1-top.Score, 2)
	}
	for _, v := range rest {
		if len(f.Alternatives) >= sc.opts.MaxAlternatives {
			break
		}
		if v.Score < 0.15 {
			continue
		}
		f.Alternatives = append(f.Alternatives, runrec.CauseScore{Cause: v.Cause, Score: round(v.Score, 2)})
		if f.Cause == CauseUnknown {
			// Show what little there was to go on.
			f.Evidence = append(f.Evidence, v.Evidence...)
		}
	}
	f.Objects = dedupe(f.Objects)
	f.PIDs = dedupeInts(f.PIDs)
	f.Summary = sc.summary(w, f.Cause, top)
	return f
}

// summary is one sentence: what happened, when, and why.
func (sc *scene) summary(w *window, cause string, top verdict) string {
	span := fmt.Sprintf("from %s to %s (%s)", clock(sc.startTime(w)), clock(sc.endTime(w)), dur(sc.seconds(w)))
	var what string
	switch w.Kind {
	case runrec.FindingDrop:
		// The rate figures are the low seconds': so is the span they
		// name. The latency and backlog tail after them is said apart.
		low := span
		if w.D0 >= 0 && (w.D0 > w.I0 || w.D1 < w.I1) {
			d := &window{I0: w.D0, I1: w.D1}
			low = fmt.Sprintf("from %s to %s (%s)", clock(sc.startTime(d)), clock(sc.endTime(d)), dur(sc.seconds(d)))
		}
		what = fmt.Sprintf("Throughput fell %.0f%% (%s -> %s jobs/s) %s", w.DropPct, num(w.ExpRate), num(w.WinRate), low)
		if low != span && w.D1 < w.I1 {
			what += fmt.Sprintf(", and the queue was back to normal at %s", clock(sc.endTime(w)))
		}
	case runrec.FindingLatency:
		what = fmt.Sprintf("p99 latency rose %.1fx (%s -> %s ms) %s while throughput held", w.LatencyFactor, num(sc.base.P99Ms), num(w.MaxP99Ms), span)
	case runrec.FindingBacklog:
		what = fmt.Sprintf("The queue backed up %.1fx (depth up to %s, oldest job %s) %s", w.BacklogFactor, num(w.MaxDepth), dur(w.MaxOldestS), span)
	case runrec.FindingSlowdown:
		what = fmt.Sprintf("The claim statement slowed %.1fx (%s -> %s ms per call) %s", w.ClaimFactor, num(sc.base.ClaimMs), num(w.MaxClaimMs), span)
	case runrec.FindingTrend:
		what = fmt.Sprintf("Throughput slid %.0f%% over the run %s", w.DropPct, span)
		if w.ClaimFactor > 1 && w.DropPct < sc.opts.MinDropPct {
			what = fmt.Sprintf("The claim statement's time grew %.1fx over the run %s", w.ClaimFactor, span)
		}
	case runrec.FindingOutage:
		what = "The server restarted " + span
		if !w.Restart {
			what = "The sampler lost the server " + span
		}
		if w.DropPct >= sc.opts.MinDropPct {
			what += fmt.Sprintf(" and throughput fell %.0f%%", w.DropPct)
		} else {
			what += " without a sustained drop in throughput"
		}
	default:
		if slices.Contains(w.Only, CauseCheckpoint) {
			what = fmt.Sprintf("Checkpoints were forced more often than checkpoint_warning %s", span)
		} else {
			what = fmt.Sprintf("Cleanup fell behind on %s %s", cmpOr(w.Table, "the queue tables"), span)
		}
	}
	if cause == CauseUnknown {
		return what + ": no database signal explains it (" + unknownHint(w) + ")."
	}
	return what + ": " + strings.TrimSuffix(top.Summary, ".") + "."
}

func unknownHint(w *window) string {
	if w.Drop {
		return "locks, vacuum, WAL, CPU, I/O and connections all looked normal; check the workers and the network"
	}
	return "locks, vacuum, WAL, CPU, I/O and connections all looked normal"
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// windowEvidence states the symptom itself: the rate, latency, backlog and
// claim time in the window against their baselines.
func (sc *scene) windowEvidence(w *window) []runrec.Evidence {
	var ev []runrec.Evidence
	b := sc.base
	if w.Kind == runrec.FindingWholeRun || w.Kind == runrec.FindingOutage {
		return ev
	}
	if w.Drop || w.Kind == runrec.FindingTrend {
		ev = append(ev, runrec.Evidence{Signal: "throughput.completed_per_s", Value: round(w.WinRate, 1),
			Baseline: ptr(round(w.ExpRate, 1)),
			Detail:   fmt.Sprintf("%s jobs/s completed against %s expected; about %s jobs delayed", num(w.WinRate), num(w.ExpRate), num(w.JobsDelayed))})
	}
	if w.Latency || (w.MaxP99Ms > 0 && b.P99Ms > 0 && w.LatencyFactor >= 2) {
		ev = append(ev, runrec.Evidence{Signal: "latency.p99_ms", Value: round(w.MaxP99Ms, 1), Baseline: ptr(round(b.P99Ms, 1)),
			Detail: fmt.Sprintf("end-to-end p99 peaked at %s ms (baseline %s ms)", num(w.MaxP99Ms), num(b.P99Ms))})
	}
	if w.Backlog {
		ev = append(ev, runrec.Evidence{Signal: "queue.depth", Value: round(w.MaxDepth, 0), Baseline: ptr(round(b.Depth, 0)),
			Detail: fmt.Sprintf("up to %s jobs waiting (baseline %s), oldest %s old (baseline %s)", num(w.MaxDepth), num(b.Depth), dur(w.MaxOldestS), dur(b.OldestS))})
	}
	if w.MaxClaimMs > 0 && b.ClaimMs > 0 && (w.Slowdown || w.ClaimFactor >= 2) {
		ev = append(ev, runrec.Evidence{Signal: "pg_stat_statements.claim_mean_ms", Value: round(w.MaxClaimMs, 3), Baseline: ptr(round(b.ClaimMs, 3)),
			Detail: fmt.Sprintf("claim statement %s ms per call at worst (baseline %s ms): %s", num(w.MaxClaimMs), num(b.ClaimMs), clip(sc.q.ClaimText, 160))})
	}
	return ev
}

func ptr[T any](v T) *T { return &v }

func dedupe(xs []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, x := range xs {
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func dedupeInts(xs []int) []int {
	out := []int{}
	seen := map[int]bool{}
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
