package analyze

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// notes says what the analysis could not see: collectors without data,
// counter resets, sampler gaps, a missing claim statement.
func (sc *scene) notes() []string {
	var out []string
	type key struct{ collector, reason string }
	count := map[key]int{}
	firstAt := map[key]time.Time{}
	example := map[key]string{}
	resets := map[string][]time.Time{}
	for _, s := range sc.samples {
		for c, st := range s.Status {
			if st.Kind == "" || st.Kind == runrec.StatusOK {
				continue
			}
			if st.Kind == runrec.StatusReset {
				resets[c] = append(resets[c], s.T)
				continue
			}
			k := key{c, st.String()}
			if c == "server" {
				// Reasons carry timings and error texts: group by kind.
				k.reason = string(st.Kind)
				if count[k] == 0 {
					example[k] = st.String()
				}
			}
			if count[k] == 0 {
				firstAt[k] = s.T
			}
			count[k]++
		}
	}
	keys := make([]key, 0, len(count))
	for k := range count {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		if keys[a].collector != keys[b].collector {
			return keys[a].collector < keys[b].collector
		}
		return keys[a].reason < keys[b].reason
	})
	for _, k := range keys {
		if k.collector == "server" {
			out = append(out, fmt.Sprintf("server %s in %d of %d samples (first at %s): %s", k.reason, count[k], len(sc.samples), clock(firstAt[k]), example[k]))
			continue
		}
		out = append(out, fmt.Sprintf("collector %s had no data in %d of %d samples (first at %s): %s",
			k.collector, count[k], len(sc.samples), clock(firstAt[k]), k.reason))
	}
	rc := make([]string, 0, len(resets))
	for c := range resets {
		rc = append(rc, c)
	}
	sort.Strings(rc)
	for _, c := range rc {
		ts := resets[c]
		out = append(out, fmt.Sprintf("collector %s: statistics reset %d time(s) (first at %s); those ticks have no deltas", c, len(ts), clock(ts[0])))
	}
	out = append(out, sc.gapNotes()...)
	if len(sc.samples) == 0 {
		out = append(out, "no sampler data: findings cannot be attributed to database causes")
	} else {
		anyStmt := false
		for _, s := range sc.samples {
			if len(s.Statements) > 0 {
				anyStmt = true
				break
			}
		}
		switch {
		case !anyStmt:
			out = append(out, "no pg_stat_statements data: the claim statement's timing and per-query evidence are unavailable")
		case len(sc.q.ClaimID) == 0:
			out = append(out, "the claim statement could not be identified in pg_stat_statements (no FOR UPDATE / SKIP LOCKED query on a queue table): claim slow-downs are not detected")
		}
	}
	if len(sc.tl.Slots) == 0 {
		out = append(out, "no workload ticks and no queue health samples: throughput could not be measured")
	} else if sc.tl.Derived {
		out = append(out, "throughput measured from the database side (queue health samples), not from a workload driver")
	}
	if sc.tl.Truncated {
		out = append(out, fmt.Sprintf("workload ticks span more than %s (a clock jump?): only the first %s were analyzed", dur(maxSlots), dur(maxSlots)))
	}
	if sc.base.Slots > 0 && sc.base.Slots < minBaseSlots {
		out = append(out, fmt.Sprintf("baseline rests on only %d measured seconds: drops are uncertain", sc.base.Slots))
	}
	if sc.run.Meta.Interrupted != "" {
		out = append(out, "run ended early: "+sc.run.Meta.Interrupted)
	}
	return out
}

// gapNotes lists sampler gaps: skipped ticks and holes in the timeline.
func (sc *scene) gapNotes() []string {
	var out []string
	step := sc.samplerStep()
	skipped := 0
	var gaps []string
	for i, s := range sc.samples {
		skipped += s.Skipped
		if i == 0 {
			continue
		}
		d := s.T.Sub(sc.samples[i-1].T).Seconds()
		if d > 2.5*step {
			gaps = append(gaps, fmt.Sprintf("%s-%s (%s)", clock(sc.samples[i-1].T), clock(s.T), dur(d)))
		}
	}
	if skipped > 0 {
		out = append(out, fmt.Sprintf("the sampler overran and skipped %d tick(s); deltas after a skip cover more than one interval", skipped))
	}
	if len(gaps) > 0 {
		more := ""
		if len(gaps) > 5 {
			more = fmt.Sprintf(" and %d more", len(gaps)-5)
			gaps = gaps[:5]
		}
		out = append(out, "sampler gaps (no statistics): "+strings.Join(gaps, ", ")+more)
	}
	return out
}
