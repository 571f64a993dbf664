package analyze

import (
	"testing"

	"github.com/pgqtune/pgqtune/runrec"
)

// TestFindQueueClaim checks that analyze takes the claim from the run's
// statement roles: recorded ones as they are, and for a run recorded
// without them the same decision the sampler makes (never the FK check).
func TestFindQueueClaim(t *testing.T) {
	const (
		fkCheck = `SELECT $2 FROM ONLY "pgboss"."queue" x WHERE "name" OPERATOR(pg_catalog.=) $1 FOR KEY SHARE OF x`
		fetch   = `WITH next as (SELECT id FROM pgboss.job WHERE name = $1 LIMIT $2 FOR UPDATE SKIP LOCKED) UPDATE pgboss.job j SET state = $3 FROM next WHERE j.id = next.id RETURNING j.id`
	)
	run := &runrec.Run{Meta: runrec.Meta{QueueTables: []string{"pgboss.job"}}, Samples: []runrec.Sample{{
		Statements: []runrec.StatementDelta{{QueryID: 1, Text: fkCheck, Calls: 9}, {QueryID: 2, Text: fetch, Calls: 1}},
		Queues:     []runrec.QueueHealth{{Table: "pgboss.job", System: "pg-boss"}},
	}}}
	q := findQueue(run)
	if len(q.ClaimID) != 1 || !q.ClaimID[2] || q.ClaimText != fetch {
		t.Fatalf("derived claim = %v %q", q.ClaimID, q.ClaimText)
	}
	run.Meta.StatementRoles = []runrec.StatementRole{{QueryID: 1, Role: "claim"}}
	if q := findQueue(run); len(q.ClaimID) != 1 || !q.ClaimID[1] || q.ClaimText != fkCheck {
		t.Fatalf("recorded claim not followed: %v %q", q.ClaimID, q.ClaimText)
	}
}
