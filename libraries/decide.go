package libraries

import (
	"slices"
	"sort"
	"strings"
)

// Queue is a queue table the sampler watches, with the library that owns
// it ("" for a table of no known library).
type Queue struct {
	// Name is schema.table.
	Name string
	// Library is one of the library constants, or "".
	Library string
	// Members are other tables that hold the queue's rows (the partitions
	// of a partitioned queue), schema.table.
	Members []string
}

// Statement is one pg_stat_statements entry to decide on.
type Statement struct {
	QueryID int64
	// Text is the normalized statement text.
	Text string
}

// Decision is the role DecideRoles gives one statement.
type Decision struct {
	QueryID int64
	Role    Role
	// Queue is the schema.table of the queue the statement serves ("" when
	// it names none, e.g. pgmq.read($1, ...) with several pgmq queues).
	Queue string
	// Library is the library whose statement shape matched ("" when the
	// statement was decided from its SQL shape alone).
	Library string
	Text    string
	// How says how the decision was made.
	How string
}

// Ways a decision is made, recorded in Decision.How.
const (
	HowLibrary = "library statement shape"
	HowShape   = "SQL shape on a queue table"
	// HowSkipLocked names a claim that locks rows with SKIP LOCKED on a
	// table that is not a known queue table.
	HowSkipLocked = "SKIP LOCKED claim shape"
)

// SamplerMark is the comment every sampler query carries: those are never
// a workload's statements.
const SamplerMark = "/* pgqtune */"

// DecideRoles decides, once, what each statement does for the queues: which
// are each queue's claim, enqueue and complete, and which only look like a
// claim (a deferred foreign-key check, a library's lock of its bookkeeping
// rows, a stats query). It is the one decision the sampler records in
// run.json and the loader derives for runs recorded before it; analyze and
// recommendations read its result and never look at SQL text for it.
//
// A statement on a library's table gets that library's statement shapes;
// a statement on no queue table is tried against the shapes of every
// library present (pg-boss's foreign-key check touches only pgboss.queue,
// pgmq.read names no table). What no library shape decides is decided by
// the SQL shape alone: a locking SELECT (SKIP LOCKED first) on a queue table
// is its claim, an INSERT its enqueue, a DELETE or UPDATE by id its
// complete. Per queue, only the surest claims are kept: a library-shaped
// claim beats a shape-only one, SKIP LOCKED beats a plain FOR UPDATE, which
// beats an UPDATE ... RETURNING. Statements that do nothing for a queue are
// left out. The result is sorted by QueryID and does not depend on the
// order of stmts.
func DecideRoles(queues []Queue, stmts []Statement) []Decision {
	idx := newQueueIndex(queues)
	type cand struct {
		d    Decision
		rank int
	}
	var cands []cand
	seen := map[int64]bool{}
	for _, st := range stmts {
		if st.Text == "" || seen[st.QueryID] || strings.Contains(st.Text, SamplerMark) {
			continue
		}
		seen[st.QueryID] = true
		s := shapeOf(st.Text)
		q, lib := idx.queueOf(s)
		d := Decision{QueryID: st.QueryID, Queue: q, Text: st.Text}
		rank := 0
		var libs []string
		switch {
		case lib != "":
			libs = []string{lib}
		case q == "":
			libs = idx.libs
			if s.funcIn("pgmq", pgmqFuncs...) && !slices.Contains(libs, PGMQ) {
				// pgmq's functions name their library even when no pgmq
				// queue table was detected (no privilege on its schema).
				libs = append(libs, PGMQ)
			}
		}
		for _, l := range libs {
			if c := classifiers[l]; c != nil {
				if r := c(st.Text); r != RoleOther {
					d.Role, d.Library, d.How = r, l, HowLibrary
					rank = 10
					break
				}
			}
		}
		if d.Role == RoleOther {
			r, rk := classifyShape(s, idx.isQueue)
			if r == RoleOther || lib != "" && r != RoleClaim {
				// On a library's table the library's shapes are the
				// authority; only a claim no shape of it knows (another
				// version of the library) is kept, below its own claims.
				continue
			}
			d.Role, d.How, rank = r, HowShape, rk
			if lib != "" {
				d.How = HowShape + " (no " + lib + " statement shape matched)"
			}
			if q == "" {
				if r == RoleClaim {
					d.How = HowSkipLocked
					d.Queue = claimedRel(s)
				} else {
					d.How = "SQL shape"
				}
			}
		}
		if d.Role == RoleClaim && d.Queue == "" && d.Library != "" {
			d.Queue = idx.onlyQueueOf(d.Library)
		}
		cands = append(cands, cand{d, rank})
	}
	best := map[string]int{}
	for _, c := range cands {
		if c.d.Role == RoleClaim {
			best[c.d.Queue] = max(best[c.d.Queue], c.rank)
		}
	}
	var out []Decision
	for _, c := range cands {
		if c.d.Role == RoleClaim && c.rank < best[c.d.Queue] {
			continue
		}
		out = append(out, c.d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].QueryID < out[j].QueryID })
	return out
}

// Libraries lists the libraries of queues, sorted, without repeats.
func Libraries(queues []Queue) []string {
	return newQueueIndex(queues).libs
}

// queueIndex finds which queue a statement's tables belong to.
type queueIndex struct {
	byName map[string]Queue // qualified and bare names of queues and members
	libs   []string
	queues []Queue
}

func newQueueIndex(queues []Queue) *queueIndex {
	ix := &queueIndex{byName: map[string]Queue{}, queues: queues}
	seen := map[string]bool{}
	for _, q := range queues {
		for _, n := range append([]string{q.Name}, q.Members...) {
			if _, dup := ix.byName[n]; !dup {
				ix.byName[n] = q
			}
			if _, dup := ix.byName[bare(n)]; !dup {
				ix.byName[bare(n)] = q
			}
		}
		if q.Library != "" && !seen[q.Library] {
			seen[q.Library] = true
			ix.libs = append(ix.libs, q.Library)
		}
	}
	sort.Strings(ix.libs)
	return ix
}

// lookup finds the queue a relation (as written) names.
func (ix *queueIndex) lookup(rel string) (Queue, bool) {
	if q, ok := ix.byName[rel]; ok {
		return q, true
	}
	if schemaOf(rel) == "" {
		q, ok := ix.byName[bare(rel)]
		return q, ok
	}
	return Queue{}, false
}

// queueOf is the queue a statement serves: the one its exclusive row locks
// are on, else the one it writes, else the first it names; with its
// library.
func (ix *queueIndex) queueOf(s *shape) (string, string) {
	var order []string
	for _, l := range s.locks {
		if l.exclusive() {
			order = append(order, l.rel)
		}
	}
	for _, w := range s.writes {
		order = append(order, w.rel)
	}
	order = append(order, s.rels...)
	for _, r := range order {
		if q, ok := ix.lookup(r); ok {
			return q.Name, q.Library
		}
	}
	if !s.parsed {
		// An unparsable (truncated) text: fall back to naming a queue.
		for _, q := range ix.queues {
			if containsWord(s.lower, strings.ToLower(bare(q.Name))) {
				return q.Name, q.Library
			}
		}
	}
	return "", ""
}

// isQueue reports whether a relation, as written, is a queue table.
func (ix *queueIndex) isQueue(rel string) bool {
	_, ok := ix.lookup(rel)
	return ok
}

// onlyQueueOf is the queue of library when there is exactly one.
func (ix *queueIndex) onlyQueueOf(library string) string {
	name := ""
	for _, q := range ix.queues {
		if q.Library != library {
			continue
		}
		if name != "" {
			return ""
		}
		name = q.Name
	}
	return name
}

// claimedRel is the relation a shape-only claim locks.
func claimedRel(s *shape) string {
	for _, l := range s.locks {
		if l.exclusive() {
			return l.rel
		}
	}
	return ""
}

// containsWord reports whether word occurs in s delimited by non-identifier
// characters.
func containsWord(s, word string) bool {
	if word == "" {
		return false
	}
	for i := 0; ; {
		j := strings.Index(s[i:], word)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(word)
		if (j == 0 || !identChar(s[j-1])) && (end == len(s) || !identChar(s[end])) {
			return true
		}
		i = j + 1
	}
}

func identChar(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// Known reports whether name is a library with a statement classifier
// (every library constant has one).
func Known(name string) bool { return classifiers[name] != nil }
