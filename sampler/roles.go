package sampler

import (
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/pgqtune/pgqtune/libraries"
	"github.com/pgqtune/pgqtune/runrec"
)

// roleState is what the sampler decided about statements: every workload
// statement text seen so far and the roles libraries.DecideRoles gave them.
// Statements appear while the run goes on (a workload started after the
// sampler, a code path taken late), so the decision is made again whenever
// a new text or a new queue table appears, over everything seen; the last
// one is what run.json records.
type roleState struct {
	// mu guards roles and libs against readers outside Run
	// (Sampler.StatementRoles, Libraries); Run's goroutine is the only
	// writer.
	mu    sync.Mutex
	texts map[int64]string
	roles []runrec.StatementRole
	libs  []string
	// claims maps the queryids of the statements decided to be claims to
	// their lowercased text, so that the rows they return count as
	// dequeued jobs of the queue they name (derive.go).
	claims map[int64]string
}

// maxRoleTexts bounds the statement texts kept for the decision.
const maxRoleTexts = 2000

// noteTexts remembers workload statements' texts for the decision.
func (rs *roleState) noteTexts(texts map[int64]string) {
	if len(texts) == 0 {
		return
	}
	if rs.texts == nil {
		rs.texts = map[int64]string{}
	}
	maps.Copy(rs.texts, texts)
}

// decide makes the statement-role decision over the texts seen and the
// queues known, and points the claim counting (claimedRows) at the claims.
func (rs *roleState) decide(qs []queueTable) {
	queues := make([]libraries.Queue, 0, len(qs))
	for _, q := range qs {
		lq := libraries.Queue{Name: q.Name, Members: q.Members}
		if libraries.Known(q.System) {
			lq.Library = q.System
		}
		queues = append(queues, lq)
	}
	stmts := make([]libraries.Statement, 0, len(rs.texts))
	for id, t := range rs.texts {
		stmts = append(stmts, libraries.Statement{QueryID: id, Text: t})
	}
	ds := libraries.DecideRoles(queues, stmts)
	claims := map[int64]string{}
	for _, d := range ds {
		if d.Role == libraries.RoleClaim {
			claims[d.QueryID] = strings.ToLower(d.Text)
		}
	}
	if len(rs.texts) > maxRoleTexts {
		// A long run against a busy database sees thousands of statements
		// that do nothing for a queue; keep only the decided ones so each
		// decision stays cheap (a later queue table is decided from the
		// texts that appear after it).
		keep := make(map[int64]string, len(ds))
		for _, d := range ds {
			keep[d.QueryID] = rs.texts[d.QueryID]
		}
		rs.texts = keep
	}
	roles := runrec.RolesOf(ds)
	libs := libraries.Libraries(queues)
	rs.mu.Lock()
	rs.claims = claims
	rs.roles, rs.libs = roles, libs
	rs.mu.Unlock()
}

// StatementRoles returns the sampler's latest decision about which
// statements are each queue's claim, enqueue and complete (and which only
// look like a claim), for run.json. It grows while the sampler runs.
func (s *Sampler) StatementRoles() []runrec.StatementRole {
	s.roles.mu.Lock()
	defer s.roles.mu.Unlock()
	return slices.Clone(s.roles.roles)
}

// Libraries returns the queue libraries the sampler detected (libraries
// package names), sorted.
func (s *Sampler) Libraries() []string {
	s.roles.mu.Lock()
	defer s.roles.mu.Unlock()
	return slices.Clone(s.roles.libs)
}
