package sampler_test

import (
	"context"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/libraries"
	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sampler"
)

// trackAll makes pg_stat_statements see the statements Postgres runs
// itself (foreign-key checks) and those inside functions, in the database
// of dsn, for sessions opened from now on.
func trackAll(t *testing.T, p *pgxpool.Pool) {
	t.Helper()
	var db string
	if err := p.QueryRow(context.Background(), "SELECT current_database()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	exec(t, p, fmt.Sprintf("ALTER DATABASE %s SET pg_stat_statements.track = 'all'", pgx.Identifier{db}.Sanitize()))
}

// waitRoles polls the sampler's decision until ok holds for it.
func waitRoles(t *testing.T, s *sampler.Sampler, what string, ok func([]runrec.StatementRole) bool) []runrec.StatementRole {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		rs := s.StatementRoles()
		if ok(rs) {
			return rs
		}
		if time.Now().After(deadline) {
			for _, r := range rs {
				t.Logf("%s %s %s: %.120s", r.Role, r.Queue, r.Library, r.Text)
			}
			t.Fatalf("the sampler's statement roles never showed %s", what)
		}
		time.Sleep(testInterval)
	}
}

func withRole(rs []runrec.StatementRole, role libraries.Role, textHas string) []runrec.StatementRole {
	var out []runrec.StatementRole
	for _, r := range rs {
		if r.Role == string(role) && strings.Contains(r.Text, textHas) {
			out = append(out, r)
		}
	}
	return out
}

// TestStatementRoles checks that the sampler decides, as statements
// appear after it started, which are the queue's claim, enqueue and
// complete, and that the look-alikes (a deferred foreign-key check, a
// count) are never the claim.
func TestStatementRoles(t *testing.T) {
	b := setup(t, sampler.Config{QueueTables: []string{"app.jobs"}}, func(p *pgxpool.Pool) {
		trackAll(t, p)
		exec(t, p, `CREATE SCHEMA app;
			CREATE TABLE app.queues (name text PRIMARY KEY);
			INSERT INTO app.queues VALUES ('default');
			CREATE TABLE app.jobs (id bigserial PRIMARY KEY,
				queue text NOT NULL REFERENCES app.queues (name) DEFERRABLE INITIALLY DEFERRED,
				state text NOT NULL DEFAULT 'ready', payload text);`)
	})
	rec := record(t, b.s)
	rec.ticks(t, 1)
	// A fresh pool: the database's track = all applies to new sessions.
	p, err := pgxpool.New(context.Background(), b.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		exec(t, p, "INSERT INTO app.jobs (queue, payload) VALUES ($1, $2)", "default", "x")
		exec(t, p, `WITH c AS (SELECT id FROM app.jobs WHERE state = 'ready' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
			UPDATE app.jobs j SET state = 'running' FROM c WHERE j.id = c.id RETURNING j.id`)
		exec(t, p, "DELETE FROM app.jobs WHERE id = $1", int64(i+1))
		var n int64
		if err := p.QueryRow(ctx, "SELECT count(*) FROM app.jobs WHERE state = $1", "ready").Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	rs := waitRoles(t, b.s, "claim, enqueue, complete and the FK check", func(rs []runrec.StatementRole) bool {
		return len(withRole(rs, libraries.RoleClaim, "SKIP LOCKED")) > 0 && len(withRole(rs, libraries.RoleEnqueue, "INSERT")) > 0 &&
			len(withRole(rs, libraries.RoleComplete, "DELETE")) > 0 && len(withRole(rs, libraries.RoleFKCheck, "FOR KEY SHARE")) > 0 &&
			len(withRole(rs, libraries.RoleMaintenance, "count(*)")) > 0
	})
	for _, r := range rs {
		if r.Role == string(libraries.RoleClaim) && !strings.Contains(r.Text, "SKIP LOCKED") {
			t.Errorf("claim %q is not the SKIP LOCKED statement", r.Text)
		}
		if r.Role == string(libraries.RoleClaim) && r.Queue != "app.jobs" {
			t.Errorf("claim queue = %q, want app.jobs", r.Queue)
		}
		if strings.Contains(r.Text, "/* pgqtune */") {
			t.Errorf("a sampler query was decided on: %q", r.Text)
		}
	}
	rec.stop(t)
}

// TestStatementRolesPgBoss drives the real pg-boss 10.4.2 (Node, from the
// cache scripts/deps.sh --test fills) and checks that the deferred
// foreign-key check every send runs at commit is recorded as fk_check and
// pg-boss's fetch as the claim.
func TestStatementRolesPgBoss(t *testing.T) {
	mods := pgbossModules(t)
	b := setup(t, sampler.Config{}, func(p *pgxpool.Pool) {
		trackAll(t, p)
	})
	// pg-boss creates its schema and the queue itself, before the sampler
	// starts (setup already made the sampler: it finds them on redetect).
	node(t, mods, b.dsn, `
		const boss = new PgBoss({ connectionString: process.env.PGQTUNE_DSN, supervise: false, schedule: false })
		await boss.start()
		await boss.createQueue('roles')
		await boss.stop({ graceful: false, wait: true })`)
	rec := record(t, b.s)
	rec.waitFor(t, "the pg-boss queue", func(s runrec.Sample) bool { return len(s.Queues) > 0 })
	// Maintenance (expire, archive, drop under an advisory lock, state
	// counts) runs every second meanwhile: none of it may become the claim.
	node(t, mods, b.dsn, `
		const boss = new PgBoss({ connectionString: process.env.PGQTUNE_DSN, schedule: false,
			maintenanceIntervalSeconds: 1, monitorStateIntervalSeconds: 1 })
		boss.on('error', err => console.error(err))
		await boss.start()
		for (let i = 0; i < 20; i++) {
			await boss.send('roles', { n: i })
			const jobs = await boss.fetch('roles')
			if (!jobs.length) continue
			if (i % 4 === 3) await boss.fail('roles', jobs[0].id, { why: 'test' })
			else await boss.complete('roles', jobs[0].id)
		}
		await new Promise(resolve => setTimeout(resolve, 2500))
		await boss.stop({ graceful: false, wait: true })`)
	rs := waitRoles(t, b.s, "pg-boss's claim and FK check", func(rs []runrec.StatementRole) bool {
		return len(withRole(rs, libraries.RoleClaim, "SKIP LOCKED")) > 0 && len(withRole(rs, libraries.RoleFKCheck, "FOR KEY SHARE OF x")) > 0 &&
			len(withRole(rs, libraries.RoleEnqueue, "INSERT INTO")) > 0 && len(withRole(rs, libraries.RoleComplete, "completed_on")) > 0 &&
			len(withRole(rs, libraries.RoleFail, "deleted_jobs")) > 0 && len(withRole(rs, libraries.RoleMaintenance, "")) > 0
	})
	if f := os.Getenv("PGQTUNE_ROLES_FIXTURE"); f != "" {
		// Refresh libraries/testdata with the texts this run recorded.
		if err := runrec.WriteJSON(f, rs); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range rs {
		if testing.Verbose() {
			t.Logf("%-11s %-12s %-8s %q", r.Role, r.Queue, r.Library, r.Text)
		}
		if r.Role == string(libraries.RoleClaim) && (r.Library != libraries.PGBoss || strings.Contains(r.Text, "KEY SHARE")) {
			t.Errorf("claim %q decided by %q (library %q), want pg-boss's fetch", r.Text, r.How, r.Library)
		}
	}
	if libs := b.s.Libraries(); len(libs) != 1 || libs[0] != libraries.PGBoss {
		t.Errorf("libraries = %v, want [pg-boss]", libs)
	}
	rec.stop(t)
}

// pgbossModules is the node_modules of the cached pg-boss install, or skips.
func pgbossModules(t *testing.T) string {
	t.Helper()
	if _, err := osexec.LookPath("node"); err != nil {
		t.Skip("node not found: install Node.js 20+ to test against the real pg-boss")
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skipf("no user cache dir: %v", err)
	}
	mods := filepath.Join(cache, "pgqtune", "pgboss-10.4.2", "node_modules")
	if _, err := os.Stat(filepath.Join(mods, "pg-boss", "package.json")); err != nil {
		t.Skipf("pg-boss 10.4.2 is not in %s (scripts/deps.sh --test installs it)", mods)
	}
	return mods
}

// node runs body (an async function's body, with PgBoss in scope) under
// Node, against dsn given in the environment.
func node(t *testing.T, mods, dsn, body string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	script := filepath.Join(t.TempDir(), "drive.js")
	writeFile(t, script, "'use strict'\nconst PgBoss = require('pg-boss')\n;(async () => {\n"+body+
		"\n})().catch(err => { console.error(err && err.stack ? err.stack : err); process.exit(1) })\n")
	cmd := osexec.CommandContext(ctx, "node", script)
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods, "PGQTUNE_DSN="+dsn)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
}

// TestStatementRolesRealPgmq drives the real pgmq extension through its
// functions. The sampler reads top-level statements only (so a function's
// work is not counted twice), whatever pg_stat_statements.track says: the
// calls are what it decides on, and pgmq.read is the claim of the one
// pgmq queue.
func TestStatementRolesRealPgmq(t *testing.T) {
	pgtest.RequirePgmq(t)
	for _, track := range []string{"top", "all"} {
		t.Run("track="+track, func(t *testing.T) {
			b := setup(t, sampler.Config{}, func(p *pgxpool.Pool) {
				if track == "all" {
					trackAll(t, p)
				}
				exec(t, p, `CREATE EXTENSION pgmq; SELECT pgmq.create('orders')`)
			})
			rec := record(t, b.s)
			rec.ticks(t, 1)
			p, err := pgxpool.New(context.Background(), b.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			for i := 0; i < 10; i++ {
				var id int64
				if err := p.QueryRow(context.Background(), "SELECT * FROM pgmq.send($1, $2::jsonb)", "orders", `{"n": 1}`).Scan(&id); err != nil {
					t.Fatal(err)
				}
				exec(t, p, "SELECT * FROM pgmq.read($1, $2, $3)", "orders", 30, 1)
				exec(t, p, "SELECT pgmq.archive($1, $2::bigint)", "orders", id)
			}
			ok := func(rs []runrec.StatementRole) bool {
				return len(withRole(rs, libraries.RoleClaim, "pgmq.read")) > 0 && len(withRole(rs, libraries.RoleEnqueue, "pgmq.send")) > 0 &&
					len(withRole(rs, libraries.RoleComplete, "pgmq.archive")) > 0
			}
			rs := waitRoles(t, b.s, "pgmq's read, send and archive", ok)
			for _, r := range withRole(rs, libraries.RoleClaim, "") {
				if r.Library != libraries.PGMQ || r.Queue != "pgmq.q_orders" {
					t.Errorf("claim %+v, want pgmq's on pgmq.q_orders", r)
				}
			}
			rec.stop(t)
		})
	}
}

// TestStatementRolesGraphileWorker drives the real graphile-worker 0.16
// (Node; its node_modules named by PGQTUNE_GRAPHILE_WORKER_MODULES, else
// the user cache's pgqtune/graphile-worker-0.16.6) with
// jobs in named queues, and checks that getJob is the claim and the lock
// of its job queues never is.
func TestStatementRolesGraphileWorker(t *testing.T) {
	mods := os.Getenv("PGQTUNE_GRAPHILE_WORKER_MODULES")
	if mods == "" {
		if cache, err := os.UserCacheDir(); err == nil {
			mods = filepath.Join(cache, "pgqtune", "graphile-worker-0.16.6", "node_modules")
		}
	}
	if _, err := os.Stat(filepath.Join(mods, "graphile-worker", "package.json")); err != nil {
		t.Skipf("graphile-worker is not in %q: set PGQTUNE_GRAPHILE_WORKER_MODULES to a node_modules holding graphile-worker 0.16 to test against it", mods)
	}
	if _, err := osexec.LookPath("node"); err != nil {
		t.Skip("node not found: install Node.js 20+ to test against the real graphile-worker")
	}
	b := setup(t, sampler.Config{}, nil)
	nodeJS(t, mods, b.dsn, `const { makeWorkerUtils } = require('graphile-worker')
		const utils = await makeWorkerUtils({ connectionString: process.env.PGQTUNE_DSN })
		await utils.migrate()
		await utils.release()`)
	rec := record(t, b.s)
	rec.waitFor(t, "the graphile-worker queue", func(s runrec.Sample) bool { return len(s.Queues) > 0 })
	nodeJS(t, mods, b.dsn, `const { run, makeWorkerUtils } = require('graphile-worker')
		const utils = await makeWorkerUtils({ connectionString: process.env.PGQTUNE_DSN })
		let done = 0
		const runner = await run({ connectionString: process.env.PGQTUNE_DSN, concurrency: 2, noHandleSignals: true,
			pollInterval: 100, taskList: { hello: async p => { done++; if (p.fail) throw new Error('asked to fail') } } })
		for (let i = 0; i < 30; i++) {
			await utils.addJob('hello', { n: i, fail: i % 10 === 9 }, { queueName: i % 2 ? 'serial' : undefined, maxAttempts: 1 })
		}
		const t0 = Date.now()
		while (done < 30 && Date.now() - t0 < 30000) await new Promise(r => setTimeout(r, 50))
		await runner.stop()
		await utils.release()
		if (done < 30) throw new Error('only ' + done + ' jobs ran')`)
	rs := waitRoles(t, b.s, "graphile-worker's claim, enqueue and complete", func(rs []runrec.StatementRole) bool {
		return len(withRole(rs, libraries.RoleClaim, "")) > 0 && len(withRole(rs, libraries.RoleEnqueue, "")) > 0 &&
			len(withRole(rs, libraries.RoleComplete, "")) > 0 && len(withRole(rs, libraries.RoleFail, "")) > 0
	})
	for _, r := range rs {
		if testing.Verbose() {
			t.Logf("%-11s %-30s %-16s %q", r.Role, r.Queue, r.Library, r.Text)
		}
		if r.Role == string(libraries.RoleClaim) && (r.Library != libraries.GraphileWorker || r.Queue != "graphile_worker._private_jobs") {
			t.Errorf("claim %+v, want graphile-worker's getJob on _private_jobs", r)
		}
	}
	if f := os.Getenv("PGQTUNE_ROLES_FIXTURE"); f != "" {
		if err := runrec.WriteJSON(f, rs); err != nil {
			t.Fatal(err)
		}
	}
	rec.stop(t)
}

// nodeJS runs body (an async function's body) under Node with mods on
// NODE_PATH, against dsn given in the environment.
func nodeJS(t *testing.T, mods, dsn, body string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	script := filepath.Join(t.TempDir(), "drive.js")
	writeFile(t, script, "'use strict'\n;(async () => {\n"+body+
		"\n})().catch(err => { console.error(err && err.stack ? err.stack : err); process.exit(1) })\n")
	cmd := osexec.CommandContext(ctx, "node", script)
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods, "PGQTUNE_DSN="+dsn)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
}

// TestPgBossV11Schema: a job table partitioned with a shared default
// partition job_common (pg-boss v11+'s layout, here with only the columns
// detection reads) is a pg-boss queue, a note says what it gets, and a fetch
// from job_common is pg-boss's claim.
func TestPgBossV11Schema(t *testing.T) {
	b := setup(t, sampler.Config{}, func(p *pgxpool.Pool) {
		exec(t, p, `CREATE SCHEMA pgboss;
			CREATE TABLE pgboss.job (id uuid NOT NULL DEFAULT gen_random_uuid(), name text NOT NULL, state text NOT NULL DEFAULT 'created',
				priority int NOT NULL DEFAULT 0, start_after timestamptz NOT NULL DEFAULT now(), singleton_key text,
				created_on timestamptz NOT NULL DEFAULT now(), started_on timestamptz) PARTITION BY LIST (name);
			CREATE TABLE pgboss.job_common PARTITION OF pgboss.job DEFAULT;`)
	})
	if got := b.s.QueueTables(); len(got) != 1 || got[0] != "pgboss.job" {
		t.Fatalf("QueueTables = %v", got)
	}
	noted := false
	for _, n := range b.s.Notes() {
		noted = noted || strings.Contains(n, "pg-boss v11+ schema")
	}
	if !noted {
		t.Errorf("no pg-boss v11 note in %q", b.s.Notes())
	}
	rec := record(t, b.s)
	rec.ticks(t, 1)
	for i := 0; i < 5; i++ {
		exec(t, b.pool, "INSERT INTO pgboss.job (name) VALUES ($1)", "q")
		exec(t, b.pool, `WITH next AS (SELECT j.id FROM pgboss.job_common j WHERE j.name = $1 AND j.state < 'active'
				AND j.start_after <= now() ORDER BY j.priority DESC, j.created_on, j.id LIMIT 1 FOR UPDATE OF j SKIP LOCKED)
			UPDATE pgboss.job_common j SET state = 'active', started_on = now() FROM next WHERE j.id = next.id RETURNING j.id`, "q")
	}
	rs := waitRoles(t, b.s, "the fetch from job_common", func(rs []runrec.StatementRole) bool {
		return len(withRole(rs, libraries.RoleClaim, "job_common")) > 0
	})
	for _, r := range withRole(rs, libraries.RoleClaim, "") {
		if r.Library != libraries.PGBoss || r.Queue != "pgboss.job" {
			t.Errorf("claim %+v, want pg-boss's on pgboss.job", r)
		}
	}
	rec.stop(t)
}
