package analyze

import (
	"sort"
	"strings"

	"github.com/pgqtune/pgqtune/runrec"
)

// queueInfo is what the run says about its queue: the queue tables and the
// statement that claims jobs (the one whose slow-down hurts first).
type queueInfo struct {
	Tables  map[string]bool // schema.table
	Names   []string        // sorted schema.table
	ClaimID map[int64]bool
	// ClaimText is the claim statement's normalized text ("" unknown).
	ClaimText string
	Texts     map[int64]string
}

// findQueue collects queue tables from the run's metadata and samples and
// picks the claim statement by its text: FOR UPDATE SKIP LOCKED (or a
// queue extension's read function) beats a plain FOR UPDATE, which beats
// an UPDATE ... RETURNING on a queue table.
func findQueue(run *runrec.Run) *queueInfo {
	q := &queueInfo{Tables: map[string]bool{}, ClaimID: map[int64]bool{}}
	for _, t := range run.Meta.QueueTables {
		q.Tables[t] = true
	}
	for i := range run.Samples {
		s := &run.Samples[i]
		for _, t := range s.Tables {
			if t.Queue {
				q.Tables[t.Relation] = true
			}
		}
		for _, h := range s.Queues {
			if h.Table != "" {
				q.Tables[h.Table] = true
			}
		}
	}
	for t := range q.Tables {
		q.Names = append(q.Names, t)
	}
	sort.Strings(q.Names)

	q.Texts = run.StatementTexts()
	best := 0
	var bestTotal int
	ids := make([]int64, 0, len(q.Texts))
	for id := range q.Texts {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(a, b int) bool { return ids[a] < ids[b] })
	for _, id := range ids {
		sc := q.claimLevel(q.Texts[id])
		if sc == 0 {
			continue
		}
		if sc > best {
			best = sc
			q.ClaimID = map[int64]bool{}
			bestTotal = 0
		}
		if sc == best {
			q.ClaimID[id] = true
			if q.ClaimText == "" || len(q.Texts[id]) < bestTotal {
				q.ClaimText = q.Texts[id]
				bestTotal = len(q.Texts[id])
			}
		}
	}
	return q
}

// claimLevel rates how surely text is a job-claiming statement (0 not).
func (q *queueInfo) claimLevel(text string) int {
	l := strings.ToLower(text)
	if strings.Contains(l, "/* pgqtune */") {
		return 0 // the sampler's own queries
	}
	switch {
	case strings.Contains(l, "skip locked"),
		strings.Contains(l, "pgmq.read"), strings.Contains(l, "pgmq.pop"):
		return 3
	case strings.Contains(l, "for update") && q.mentionsQueue(l):
		return 2
	case strings.Contains(l, "update") && strings.Contains(l, "returning") && q.mentionsQueue(l):
		return 1
	}
	return 0
}

// mentionsQueue reports whether lower-cased SQL names a queue table.
func (q *queueInfo) mentionsQueue(l string) bool {
	for _, t := range q.Names {
		name := t
		if i := strings.LastIndexByte(t, '.'); i >= 0 {
			name = t[i+1:]
		}
		if strings.Contains(l, strings.ToLower(name)) {
			return true
		}
	}
	return false
}

// isQueue reports whether rel is a queue table; with none known every
// table counts, so table signals still work on unlabelled runs.
func (q *queueInfo) isQueue(rel string) bool {
	return len(q.Tables) == 0 || q.Tables[rel]
}
