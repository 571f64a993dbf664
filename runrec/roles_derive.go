package runrec

import (
	"sort"

	"github.com/pgqtune/pgqtune/libraries"
)

// HowDerived marks statement roles the loader derived for a run recorded
// before the sampler recorded them.
const HowDerived = "derived when loaded (run recorded without statement roles): "

// Roles returns the run's statement roles: the sampler's recorded decision,
// or, for a run recorded before the sampler made one, the same decision
// (libraries.DecideRoles) made from the recorded statement texts and queue
// tables. Load fills Meta with the derived roles once; a run built in
// memory derives them on each call (the decision is deterministic), so
// Roles never writes to a Run other goroutines may read.
func (r *Run) Roles() []StatementRole {
	if len(r.Meta.StatementRoles) > 0 {
		return r.Meta.StatementRoles
	}
	roles, _ := r.deriveRoles()
	return roles
}

// deriveRoles makes the sampler's decision from what the run recorded.
func (r *Run) deriveRoles() ([]StatementRole, []string) {
	queues := r.queues()
	texts := r.StatementTexts()
	stmts := make([]libraries.Statement, 0, len(texts))
	for id, t := range texts {
		stmts = append(stmts, libraries.Statement{QueryID: id, Text: t})
	}
	roles := RolesOf(libraries.DecideRoles(queues, stmts))
	for i := range roles {
		roles[i].How = HowDerived + roles[i].How
	}
	return roles, libraries.Libraries(queues)
}

// fillRoles derives the statement roles of a run recorded without them.
func (r *Run) fillRoles() {
	if len(r.Meta.StatementRoles) > 0 {
		return
	}
	roles, libs := r.deriveRoles()
	if len(roles) > 0 {
		r.Meta.StatementRoles = roles
	}
	if len(r.Meta.Libraries) == 0 && len(libs) > 0 {
		r.Meta.Libraries = libs
	}
}

// RolesOf converts the decision's result to the recorded form.
func RolesOf(ds []libraries.Decision) []StatementRole {
	out := make([]StatementRole, 0, len(ds))
	for _, d := range ds {
		out = append(out, StatementRole{QueryID: d.QueryID, Role: string(d.Role), Queue: d.Queue,
			Library: d.Library, Text: d.Text, How: d.How})
	}
	return out
}

// queues are the run's queue tables (run.json, the queue health samples and
// tables flagged as queues) with the library the sampler recognized.
func (r *Run) queues() []libraries.Queue {
	lib := map[string]string{}
	for _, t := range r.Meta.QueueTables {
		lib[t] = ""
	}
	for i := range r.Samples {
		s := &r.Samples[i]
		for _, t := range s.Tables {
			if t.Queue {
				if _, ok := lib[t.Relation]; !ok {
					lib[t.Relation] = ""
				}
			}
		}
		for _, h := range s.Queues {
			if h.Table == "" {
				continue
			}
			if libraries.Known(h.System) {
				lib[h.Table] = h.System
			} else if _, ok := lib[h.Table]; !ok {
				lib[h.Table] = ""
			}
		}
	}
	out := make([]libraries.Queue, 0, len(lib))
	for n, l := range lib {
		out = append(out, libraries.Queue{Name: n, Library: l})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
