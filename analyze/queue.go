package analyze

import (
	"sort"

	"github.com/pgqtune/pgqtune/libraries"
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

// findQueue collects queue tables from the run's metadata and samples, and
// takes the claim statements from the run's recorded statement roles (the
// sampler's one decision, derived once for older runs): analyze never
// guesses the claim from SQL text.
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
	for _, r := range run.Roles() {
		if r.Role != string(libraries.RoleClaim) {
			continue
		}
		q.ClaimID[r.QueryID] = true
		text := q.Texts[r.QueryID]
		if text == "" {
			text = r.Text
		}
		// The shortest claim text names the claim in evidence.
		if text != "" && (q.ClaimText == "" || len(text) < len(q.ClaimText)) {
			q.ClaimText = text
		}
	}
	q.findOthers(run)
	return q
}

// findOthers fills EnqueueID and CompleteID from the run's statement
// roles, as the claim is.
func (q *queueInfo) findOthers(run *runrec.Run) {
	q.EnqueueID, q.CompleteID = map[int64]bool{}, map[int64]bool{}
	for _, r := range run.Roles() {
		switch r.Role {
		case string(libraries.RoleEnqueue):
			q.EnqueueID[r.QueryID] = true
		case string(libraries.RoleComplete):
			q.CompleteID[r.QueryID] = true
		}
	}
}

// isQueue reports whether rel is a queue table; with none known every
// table counts, so table signals still work on unlabelled runs.
func (q *queueInfo) isQueue(rel string) bool {
	return len(q.Tables) == 0 || q.Tables[rel]
}
