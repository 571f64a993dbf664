package recommendations

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/runrec"
)

// TestFactsClaimFromRoles checks that the claim the rules work on is the
// run's recorded claim (the sampler's decision), never a statement that
// only looks like one by its text.
func TestFactsClaimFromRoles(t *testing.T) {
	const (
		fkCheck = `SELECT $2 FROM ONLY "pgboss"."queue" x WHERE "name" OPERATOR(pg_catalog.=) $1 FOR KEY SHARE OF x`
		fetch   = `WITH next as (SELECT id FROM pgboss.job WHERE name = $1 AND state < $3 ORDER BY priority desc, created_on, id LIMIT $2 FOR UPDATE SKIP LOCKED) ` +
			`UPDATE pgboss.job j SET state = $4, started_on = now() FROM next WHERE name = $1 AND j.id = next.id RETURNING j.id`
		getJob = `with j as (select jobs.id, jobs.job_queue_id from "graphile_worker"._private_jobs as jobs where jobs.is_available = $3 ` +
			`and (jobs.job_queue_id is null or jobs.job_queue_id in (select id from "graphile_worker"._private_job_queues as job_queues ` +
			`where job_queues.is_available = $4 for update skip locked)) order by priority asc, run_at asc limit $5 for update skip locked) ` +
			`update "graphile_worker"._private_jobs as jobs set attempts = jobs.attempts + $6, locked_by = $1::text, locked_at = now() ` +
			`from j where jobs.id = j.id returning *`
	)
	t.Run("pg-boss: the fetch, though the FK check runs more often", func(t *testing.T) {
		b := newRun("pgboss.job").ticks(5, func(i int, s *runrec.Sample) {
			s.Statements = []runrec.StatementDelta{stmt(i, 1, fkCheck, 500, 10, 500, 1500), stmt(i, 2, fetch, 50, 20, 50, 900)}
			s.Queues = []runrec.QueueHealth{{Table: "pgboss.job", System: "pg-boss"}}
		})
		f := newFacts(&Input{Run: b.run})
		if f.Claim == nil || f.Claim.QueryID != 2 || f.Claim.Claim.Relation != "pgboss.job" {
			t.Fatalf("claim = %+v", f.Claim)
		}
		if r := f.Roles[1]; r.Role != "fk_check" {
			t.Errorf("FK check role = %+v", r)
		}
	})
	t.Run("graphile-worker: the locking SELECT on the job table, not the job queues'", func(t *testing.T) {
		b := newRun("graphile_worker._private_jobs").ticks(5, func(i int, s *runrec.Sample) {
			s.Statements = []runrec.StatementDelta{stmt(i, 7, getJob, 50, 20, 50, 900)}
			s.Queues = []runrec.QueueHealth{{Table: "graphile_worker._private_jobs", System: "graphile-worker"}}
		})
		f := newFacts(&Input{Run: b.run})
		if f.Claim == nil || f.Claim.Claim.Relation != "graphile_worker._private_jobs" || f.Claim.Claim.Limit != "$5" {
			t.Fatalf("claim = %+v (query %+v)", f.Claim, f.Claim.Claim)
		}
	})
	t.Run("graphile-worker 0.16.6 as recorded: the claim query is on _private_jobs", func(t *testing.T) {
		b, err := os.ReadFile("../libraries/testdata/graphile-worker-0.16.6.json")
		if err != nil {
			t.Fatal(err)
		}
		var recorded []runrec.StatementRole
		if err := json.Unmarshal(b, &recorded); err != nil {
			t.Fatal(err)
		}
		run := newRun("graphile_worker._private_jobs").ticks(5, func(i int, s *runrec.Sample) {
			for k, r := range recorded {
				s.Statements = append(s.Statements, stmt(i, int64(100+k), r.Text, 50, 20, 50, 900))
			}
			s.Queues = []runrec.QueueHealth{{Table: "graphile_worker._private_jobs", System: "graphile-worker"}}
		}).run
		f := newFacts(&Input{Run: run})
		if f.Claim == nil || f.Claim.Claim.Relation != "graphile_worker._private_jobs" || f.Claim.Claim.Limit == "" || !f.Claim.Claim.SkipLocked {
			t.Fatalf("claim = %+v", f.Claim)
		}
	})
	t.Run("pgmq.read: a claim with no locking SELECT to index, and the note says so", func(t *testing.T) {
		b := newRun("pgmq.q_orders").ticks(5, func(i int, s *runrec.Sample) {
			s.Statements = []runrec.StatementDelta{stmt(i, 3, "select * from pgmq.read($1,$2,$3)", 50, 20, 50, 900)}
			s.Queues = []runrec.QueueHealth{{Table: "pgmq.q_orders", System: "pgmq"}}
		})
		if f := newFacts(&Input{Run: b.run}); f.Claim != nil || len(f.withRole("claim")) != 1 {
			t.Fatalf("claim = %+v, claims by role %d", f.Claim, len(f.withRole("claim")))
		}
		_, notes := Recommend(&Input{Run: b.run})
		found := false
		for _, n := range notes {
			found = found || strings.Contains(n, "claim statement (queryid 3) has no locking SELECT")
		}
		if !found {
			t.Errorf("notes = %q", notes)
		}
	})
	t.Run("recorded roles are read, not re-derived", func(t *testing.T) {
		b := newRun("pgboss.job").ticks(5, func(i int, s *runrec.Sample) {
			s.Statements = []runrec.StatementDelta{stmt(i, 1, fkCheck, 500, 10, 500, 1500), stmt(i, 2, fetch, 50, 20, 50, 900)}
		})
		b.run.Meta.StatementRoles = []runrec.StatementRole{{QueryID: 2, Role: "enqueue"}}
		if f := newFacts(&Input{Run: b.run}); f.Claim != nil {
			t.Fatalf("claim = %+v, want none: the run recorded no claim", f.Claim)
		}
	})
}
