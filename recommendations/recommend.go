package recommendations

import (
	"fmt"

	"github.com/pgqtune/pgqtune/runrec"
)

// Input is everything the rules see: the recorded run, the findings analyze
// made of it, and the catalog snapshot (nil when none was taken).
type Input struct {
	Run      *runrec.Run
	Findings []runrec.Finding
	Catalog  *Catalog
}

// rule is one recommendation rule: it appends its recommendations (without
// ids) and notes to out.
type rule struct {
	name string
	fn   func(f *facts, out *output)
}

// rules run in this order; ids are assigned in it, so the same input always
// gets the same ids.
var rules = []rule{
	{"library_index", libraryIndexRule},
	{"index", indexRule},
	{"fillfactor", fillfactorRule},
	{"autovacuum", autovacuumRule},
	{"hotqueue", hotQueueRule},
	{"partitioning", partitioningRule},
	{"retention", retentionRule},
	{"config", configRule},
	{"unlogged", unloggedRule},
	{"connections", connectionsRule},
	{"query", queryRule},
	{"application", applicationRule},
	{"library_retention", libraryRetentionRule},
}

// output collects what the rules produce.
type output struct {
	rule  string
	recs  []runrec.Recommendation
	notes []string
	// plannedIndexed maps a table to the columns a recommended new index
	// will cover (keys and predicate), so later rules (fillfactor) weigh
	// the index as if it existed.
	plannedIndexed map[string][]string
	// libraryClaimFixed marks tables (and their partitioned parents), and
	// the libraries, whose library claim index is recommended for
	// recreation: the claim index rule then designs nothing of its own.
	libraryClaimFixed map[string]bool
}

func (o *output) add(r runrec.Recommendation) {
	r.Rule = o.rule
	if r.FindingIDs == nil {
		r.FindingIDs = []string{}
	}
	o.recs = append(o.recs, r)
}

func (o *output) note(format string, args ...any) {
	o.notes = append(o.notes, fmt.Sprintf(format, args...))
}

// Recommend runs every rule over the input and returns the recommendations,
// numbered R1, R2... in rule order, and notes on what the rules could not
// see. It is deterministic: the same input gives the same output.
func Recommend(in *Input) ([]runrec.Recommendation, []string) {
	if in == nil {
		return []runrec.Recommendation{}, nil
	}
	f := newFacts(in)
	out := &output{plannedIndexed: map[string][]string{}, libraryClaimFixed: map[string]bool{}}
	if in.Catalog == nil {
		out.note("no catalog snapshot: index, fillfactor and partitioning rules work from the statistics alone")
	}
	if f.Claim == nil && in.Run != nil && len(in.Run.Samples) > 0 {
		if id, ok := f.claimWithoutLock(); ok {
			// pgmq.read(...) and the like: with pg_stat_statements.track =
			// top the locking statement inside the function is not seen.
			out.note("the claim statement (queryid %d) has no locking SELECT in its text (a function call; pg_stat_statements.track = all shows the statements inside it): index rule skipped", id)
		} else {
			out.note("no claim statement (a SELECT ... FOR UPDATE on a queue table) in pg_stat_statements: index rule skipped")
		}
	}
	for _, r := range rules {
		out.rule = r.name
		r.fn(f, out)
	}
	recs := out.recs
	labelContributing(f, recs)
	for i := range recs {
		recs[i].ID = fmt.Sprintf("R%d", i+1)
	}
	if recs == nil {
		recs = []runrec.Recommendation{}
	}
	return recs, dedupeStrings(out.notes)
}

func dedupeStrings(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
