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
	// EnqueueID and CompleteID are the statements that add and finish
	// jobs: a cause that slows every statement alike (CPU) shows there as
	// well as on the claim, one that makes the claim step over garbage
	// (dead tuples) does not.
	EnqueueID, CompleteID map[int64]bool
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
	q.findOthers(run)
	return q
}

// findOthers fills EnqueueID and CompleteID: from the sampler's recorded
// statement roles when the run has them, else by shape (an INSERT into a
// queue table adds jobs; an UPDATE or DELETE of one that is not the claim
// finishes them).
func (q *queueInfo) findOthers(run *runrec.Run) {
	q.EnqueueID, q.CompleteID = map[int64]bool{}, map[int64]bool{}
	if len(run.Meta.StatementRoles) > 0 {
		for _, r := range run.Meta.StatementRoles {
			switch r.Role {
			case "enqueue":
				q.EnqueueID[r.QueryID] = true
			case "complete":
				q.CompleteID[r.QueryID] = true
			}
		}
		return
	}
	for id, text := range q.Texts {
		l := strings.ToLower(stripLeadingComments(text))
		if q.ClaimID[id] || strings.Contains(strings.ToLower(text), "/* pgqtune */") || !q.mentionsQueue(l) {
			continue
		}
		switch {
		case strings.HasPrefix(l, "insert into"):
			q.EnqueueID[id] = true
		case strings.HasPrefix(l, "update ") || strings.HasPrefix(l, "delete from"):
			q.CompleteID[id] = true
		}
	}
}

// stripLeadingComments drops the /* ... */ comments and spaces a
// statement starts with (adapters tag their statements so).
func stripLeadingComments(text string) string {
	t := strings.TrimSpace(text)
	for strings.HasPrefix(t, "/*") {
		end := strings.Index(t, "*/")
		if end < 0 {
			return t
		}
		t = strings.TrimSpace(t[end+2:])
	}
	return t
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
