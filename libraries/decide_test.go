package libraries_test

import (
	"slices"
	"testing"

	"github.com/pgqtune/pgqtune/libraries"
)

func rolesByID(ds []libraries.Decision) map[int64]libraries.Decision {
	m := map[int64]libraries.Decision{}
	for _, d := range ds {
		m[d.QueryID] = d
	}
	return m
}

func TestDecideRoles(t *testing.T) {
	const (
		skipClaim   = `WITH c AS (SELECT id FROM app.jobs WHERE state = $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) UPDATE app.jobs j SET state = $3 FROM c WHERE j.id = c.id RETURNING j.id`
		plainClaim  = `SELECT id FROM app.jobs WHERE state = $1 ORDER BY id LIMIT $2 FOR UPDATE`
		updateClaim = `UPDATE app.jobs SET state = $1 WHERE id = (SELECT id FROM app.jobs WHERE state = $2 ORDER BY id LIMIT $3) RETURNING id`
		fkCheck     = `SELECT $2 FROM ONLY "app"."queues" x WHERE "name" OPERATOR(pg_catalog.=) $1 FOR KEY SHARE OF x`
		enqueue     = `INSERT INTO app.jobs (queue, payload) VALUES ($1, $2)`
		complete    = `DELETE FROM app.jobs WHERE id = $1`
		count       = `SELECT count(*) FROM app.jobs WHERE state = $1`
		sampler     = `/* pgqtune */ SELECT id FROM app.jobs FOR UPDATE SKIP LOCKED`
		shareLock   = `SELECT id FROM app.jobs WHERE id = $1 FOR SHARE`
	)
	home := []libraries.Queue{{Name: "app.jobs"}}

	t.Run("home-grown table: claim, enqueue, complete; look-alikes are not claims", func(t *testing.T) {
		ds := libraries.DecideRoles(home, []libraries.Statement{
			{QueryID: 1, Text: skipClaim}, {QueryID: 2, Text: fkCheck}, {QueryID: 3, Text: enqueue},
			{QueryID: 4, Text: complete}, {QueryID: 5, Text: count}, {QueryID: 6, Text: sampler}, {QueryID: 7, Text: shareLock},
			{QueryID: 8, Text: "SELECT 1"},
		})
		m := rolesByID(ds)
		want := map[int64]libraries.Role{1: libraries.RoleClaim, 2: libraries.RoleFKCheck, 3: libraries.RoleEnqueue,
			4: libraries.RoleComplete, 5: libraries.RoleMaintenance}
		for id, role := range want {
			if m[id].Role != role {
				t.Errorf("queryid %d: role %q, want %q", id, m[id].Role, role)
			}
		}
		for _, id := range []int64{6, 7, 8} {
			if d, ok := m[id]; ok {
				t.Errorf("queryid %d decided as %q, want left out", id, d.Role)
			}
		}
		if m[1].Queue != "app.jobs" || m[1].Library != "" || m[1].How != libraries.HowShape {
			t.Errorf("claim = %+v", m[1])
		}
	})

	t.Run("the surest claims win: SKIP LOCKED, then FOR UPDATE, then UPDATE ... RETURNING", func(t *testing.T) {
		all := []libraries.Statement{{QueryID: 1, Text: skipClaim}, {QueryID: 2, Text: plainClaim}, {QueryID: 3, Text: updateClaim}}
		for n := 3; n >= 1; n-- {
			m := rolesByID(libraries.DecideRoles(home, all[3-n:]))
			for _, s := range all[3-n:] {
				isBest := s.QueryID == int64(4-n)
				if got := m[s.QueryID].Role == libraries.RoleClaim; got != isBest {
					t.Errorf("with %d candidates, queryid %d claim=%v, want %v", n, s.QueryID, got, isBest)
				}
			}
		}
	})

	t.Run("no queue known: a SKIP LOCKED statement is a claim on the table it locks", func(t *testing.T) {
		ds := libraries.DecideRoles(nil, []libraries.Statement{{QueryID: 1, Text: skipClaim}, {QueryID: 2, Text: plainClaim}, {QueryID: 3, Text: fkCheck}})
		m := rolesByID(ds)
		if m[1].Role != libraries.RoleClaim || m[1].Queue != "app.jobs" || m[1].How != libraries.HowSkipLocked {
			t.Errorf("claim = %+v", m[1])
		}
		if _, ok := m[2]; ok {
			t.Errorf("plain FOR UPDATE on an unknown table decided: %+v", m[2])
		}
		if m[3].Role != libraries.RoleFKCheck {
			t.Errorf("FK check = %+v", m[3])
		}
	})

	t.Run("pg-boss: the FK check on pgboss.queue is not the claim, the fetch is", func(t *testing.T) {
		q := []libraries.Queue{{Name: "pgboss.job", Library: libraries.PGBoss}}
		fetch := `WITH next as (SELECT id FROM pgboss.job WHERE name = $1 AND state < $3 ORDER BY priority desc, created_on, id LIMIT $2 FOR UPDATE SKIP LOCKED)
			UPDATE pgboss.job j SET state = $4, started_on = now() FROM next WHERE name = $1 AND j.id = next.id RETURNING j.id`
		m := rolesByID(libraries.DecideRoles(q, []libraries.Statement{
			{QueryID: 1, Text: `SELECT $2 FROM ONLY "pgboss"."queue" x WHERE "name" OPERATOR(pg_catalog.=) $1 FOR KEY SHARE OF x`},
			{QueryID: 2, Text: fetch},
		}))
		if m[1].Role != libraries.RoleFKCheck || m[1].Library != libraries.PGBoss {
			t.Errorf("FK check = %+v", m[1])
		}
		if m[2].Role != libraries.RoleClaim || m[2].Library != libraries.PGBoss || m[2].Queue != "pgboss.job" {
			t.Errorf("fetch = %+v", m[2])
		}
	})

	t.Run("graphile-worker: the claim's queue is the job table, not the job queues", func(t *testing.T) {
		q := []libraries.Queue{{Name: "graphile_worker._private_jobs", Library: libraries.GraphileWorker}}
		getJob := `with j as (select jobs.id, jobs.job_queue_id from "graphile_worker"._private_jobs as jobs where jobs.is_available = $3
			and (jobs.job_queue_id is null or jobs.job_queue_id in (select id from "graphile_worker"._private_job_queues as job_queues
			where job_queues.is_available = $4 for update skip locked)) order by priority asc, run_at asc limit $5 for update skip locked)
			update "graphile_worker"._private_jobs as jobs set attempts = jobs.attempts + $6, locked_by = $1::text, locked_at = now()
			from j where jobs.id = j.id returning *`
		lock := `select id from "graphile_worker"._private_job_queues as job_queues where job_queues.is_available = $1 for update skip locked`
		m := rolesByID(libraries.DecideRoles(q, []libraries.Statement{{QueryID: 1, Text: getJob}, {QueryID: 2, Text: lock}}))
		if m[1].Role != libraries.RoleClaim || m[1].Queue != "graphile_worker._private_jobs" {
			t.Errorf("getJob = %+v", m[1])
		}
		if m[2].Role != libraries.RoleLock {
			t.Errorf("job-queue lock = %+v", m[2])
		}
	})

	t.Run("pgmq.read names its queue when there is one", func(t *testing.T) {
		q := []libraries.Queue{{Name: "pgmq.q_orders", Library: libraries.PGMQ}}
		m := rolesByID(libraries.DecideRoles(q, []libraries.Statement{{QueryID: 1, Text: `select * from pgmq.read($1,$2,$3)`}}))
		if m[1].Role != libraries.RoleClaim || m[1].Queue != "pgmq.q_orders" || m[1].Library != libraries.PGMQ {
			t.Errorf("read = %+v", m[1])
		}
		// Without a detected pgmq table the function still names pgmq.
		m = rolesByID(libraries.DecideRoles(nil, []libraries.Statement{{QueryID: 1, Text: `select * from pgmq.read($1,$2,$3)`}}))
		if m[1].Role != libraries.RoleClaim || m[1].Library != libraries.PGMQ {
			t.Errorf("read without a table = %+v", m[1])
		}
	})

	t.Run("a library claim beats a shape-only claim on its queue", func(t *testing.T) {
		q := []libraries.Queue{{Name: "pgboss.job", Library: libraries.PGBoss}}
		fetch := `WITH next as (SELECT id FROM pgboss.job WHERE name = $1 LIMIT $2 FOR UPDATE SKIP LOCKED) UPDATE pgboss.job j SET state = $3 FROM next WHERE j.id = next.id RETURNING j.id`
		odd := `SELECT id FROM pgboss.job WHERE name = $1 FOR NO KEY UPDATE`
		m := rolesByID(libraries.DecideRoles(q, []libraries.Statement{{QueryID: 1, Text: fetch}, {QueryID: 2, Text: odd}}))
		if m[1].Role != libraries.RoleClaim {
			t.Errorf("fetch = %+v", m[1])
		}
		if _, ok := m[2]; ok {
			t.Errorf("a user's FOR NO KEY UPDATE on pg-boss's table decided: %+v", m[2])
		}
		// Alone (another pg-boss version's claim), the shape still finds it.
		m = rolesByID(libraries.DecideRoles(q, []libraries.Statement{{QueryID: 2, Text: odd}}))
		if m[2].Role != libraries.RoleClaim || m[2].Library != "" {
			t.Errorf("shape-only claim = %+v", m[2])
		}
	})

	t.Run("the order of statements does not matter", func(t *testing.T) {
		stmts := []libraries.Statement{{QueryID: 3, Text: enqueue}, {QueryID: 1, Text: skipClaim}, {QueryID: 2, Text: complete}}
		a := libraries.DecideRoles(home, stmts)
		slices.Reverse(stmts)
		b := libraries.DecideRoles(home, stmts)
		if !slices.Equal(a, b) {
			t.Errorf("%+v != %+v", a, b)
		}
	})
}

// TestEveryProfileHasShapes: each library with a profile has statement
// shapes, so DecideRoles never treats a detected library as a plain table.
func TestEveryProfileHasShapes(t *testing.T) {
	names := libraries.Names()
	if len(names) < 8 {
		t.Fatalf("profiles = %v", names)
	}
	for _, n := range names {
		if !libraries.Known(n) {
			t.Errorf("library %s has a profile but no statement classifier", n)
		}
	}
}
