package recommendations

import (
	"fmt"

	"github.com/pgqtune/pgqtune/runrec"
)

// queryRule flags claim statements whose shape defeats any index: no LIMIT
// (every runnable row is locked at once) or a filter column wrapped in a
// function or expression.
func queryRule(f *facts, out *output) {
	c := f.Claim
	if c == nil {
		return
	}
	if lib := f.claimLibrary(); lib != nil {
		// The claim is the library's own statement: rewriting it is not
		// the user's to do, so its shape is noted, never advised on.
		if c.Claim.Limit == "" {
			out.note("the claim (queryid %d) is %s's own statement and has no LIMIT; pgqtune does not advise rewriting a library's statements", c.QueryID, lib.Name)
		}
		return
	}
	fids := f.findingIDs(runrec.CauseMissingIndex, runrec.CauseRowLock, runrec.CauseLock, runrec.CauseCPU)
	if c.Claim.Limit == "" {
		out.add(runrec.Recommendation{
			Kind:   runrec.RecQuery,
			Target: c.Claim.Relation,
			SQL:    fmt.Sprintf("-- claim query (queryid %d): add a LIMIT\n-- before: ... %s\n-- after:  ... %s", c.QueryID, c.Claim.String(), withLimit(c.Claim)),
			Rationale: fmt.Sprintf("The claim has no LIMIT: each call locks every runnable row it finds (%s rows per call in this run), so one worker takes the whole backlog while the others find nothing, and no index scan can stop early%s.",
				fmtNum(c.RowsPerCall()), citeFindings(fids)),
			FindingIDs:     orEmpty(fids),
			ExpectedImpact: "Each claim locks and returns a bounded batch; work spreads over the workers and the claim's scan stops after the batch.",
			Risk:           "None beyond choosing the batch size: too small costs round trips, too large holds jobs a crashed worker would delay.",
			Rollback:       "Remove the LIMIT.",
		})
	}
	for _, p := range c.Claim.Filters {
		if p.Op != "wrapped" {
			continue
		}
		out.add(runrec.Recommendation{
			Kind:   runrec.RecQuery,
			Target: c.Claim.Relation,
			SQL: fmt.Sprintf("-- claim query (queryid %d): compare the bare column\n-- before: ... WHERE %s ...\n-- after:  ... WHERE %s <op> <value computed in the application or on the right-hand side> ...\n-- or index the expression itself: CREATE INDEX CONCURRENTLY ON %s ((%s));",
				c.QueryID, p.Value, p.Column, quoteQualified(f.qualified(c.Claim.Relation)), p.Expr),
			Rationale: fmt.Sprintf("The claim filters on %s: with %s inside an expression, no index on %s can serve that condition, so the planner scans more rows than it returns%s.",
				p.Value, p.Column, p.Column, citeFindings(fids)),
			FindingIDs:     orEmpty(fids),
			ExpectedImpact: "The filter becomes indexable: claims read only matching rows.",
			Risk:           "A rewrite must keep the same meaning (time zones, NULLs, collation); an expression index must use exactly the query's expression.",
			Rollback:       "Restore the previous query text.",
		})
	}
}

// qualified returns the catalog name of a relation as written.
func (f *facts) qualified(rel string) string {
	name, _, _ := f.resolveTable(rel)
	return name
}

func withLimit(q *Query) string {
	c := *q
	c.Limit = "$batch"
	return c.String()
}
