package collect

import (
	"slices"
	"strings"

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
	texts map[int64]string
	roles []runrec.StatementRole
	libs  []string
}

// maxRoleTexts bounds the statement texts kept for the decision.
const maxRoleTexts = 2000

// noteText remembers a workload statement's text for the decision.
func (e *env) noteText(id int64, text string) {
	if e.rs.texts == nil {
		e.rs.texts = map[int64]string{}
	}
	e.rs.texts[id] = text
}

// decide makes the statement-role decision over the texts seen and the
// queues known, and points the claim counting (claimedRows) at the claims.
func (e *env) decide() {
	e.mu.Lock()
	queues := make([]libraries.Queue, 0, len(e.queues))
	for _, q := range e.queues {
		lq := libraries.Queue{Name: q.Name, Members: q.Members}
		if libraries.Known(q.System) {
			lq.Library = q.System
		}
		queues = append(queues, lq)
	}
	e.mu.Unlock()
	stmts := make([]libraries.Statement, 0, len(e.rs.texts))
	for id, t := range e.rs.texts {
		stmts = append(stmts, libraries.Statement{QueryID: id, Text: t})
	}
	ds := libraries.DecideRoles(queues, stmts)
	claims := map[int64]string{}
	for _, d := range ds {
		if d.Role == libraries.RoleClaim {
			claims[d.QueryID] = strings.ToLower(d.Text)
		}
	}
	if len(e.rs.texts) > maxRoleTexts {
		// A long run against a busy database sees thousands of statements
		// that do nothing for a queue; keep only the decided ones so each
		// decision stays cheap (a later queue table is decided from the
		// texts that appear after it).
		keep := make(map[int64]string, len(ds))
		for _, d := range ds {
			keep[d.QueryID] = e.rs.texts[d.QueryID]
		}
		e.rs.texts = keep
	}
	roles := runrec.RolesOf(ds)
	libs := libraries.Libraries(queues)
	e.mu.Lock()
	e.claims = claims
	e.rs.roles, e.rs.libs = roles, libs
	e.mu.Unlock()
}

// StatementRoles returns the sampler's latest decision about which
// statements are each queue's claim, enqueue and complete (and which only
// look like a claim), for run.json. It grows while the sampler runs.
func (s *Sampler) StatementRoles() []runrec.StatementRole {
	s.env.mu.Lock()
	defer s.env.mu.Unlock()
	return slices.Clone(s.env.rs.roles)
}

// Libraries returns the queue libraries the sampler detected (libraries
// package names), sorted.
func (s *Sampler) Libraries() []string {
	s.env.mu.Lock()
	defer s.env.mu.Unlock()
	return slices.Clone(s.env.rs.libs)
}
