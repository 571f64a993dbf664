package libraries_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/libraries"
)

type stmtCase struct {
	name string
	text string
	want libraries.Role
}

func runCases(t *testing.T, library string, cases []stmtCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := libraries.Classify(library, c.text); got != c.want {
				t.Errorf("Classify(%s, %q) = %q, want %q", library, c.text, got, c.want)
			}
		})
	}
}

// TestClassifyPGBoss classifies the normalized texts pg_stat_statements
// (track = all) recorded while pg-boss 10.4.2 sent, fetched, completed and
// failed jobs and ran its maintenance (testdata/pgboss-10.4.2.json, written
// by sampler's TestStatementRolesPgBoss with
// PGQTUNE_ROLES_FIXTURE set).
func TestClassifyPGBoss(t *testing.T) {
	b, err := os.ReadFile("testdata/pgboss-10.4.2.json")
	if err != nil {
		t.Fatal(err)
	}
	var recorded []struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(b, &recorded); err != nil {
		t.Fatal(err)
	}
	// What each statement is, by a phrase only it has.
	want := []struct {
		has  string
		role libraries.Role
	}{
		{"FOR KEY SHARE OF x", libraries.RoleFKCheck}, // the deferred FK check of every send
		{"FOR UPDATE SKIP LOCKED", libraries.RoleClaim},
		{"INSERT INTO pgboss.job (\n      id,", libraries.RoleEnqueue},
		{"output = $3::jsonb", libraries.RoleComplete},
		{"id IN (SELECT UNNEST($2::uuid[])) AND state <", libraries.RoleFail},
		{"(started_on + expire_in) < now()", libraries.RoleMaintenance}, // expire
		{"archived_rows", libraries.RoleMaintenance},
		{"DELETE FROM pgboss.archive", libraries.RoleMaintenance},
		{"count(*) size", libraries.RoleMaintenance}, // countStates
		{"pg_advisory_xact_lock", libraries.RoleLock},
		{"SET monitored_on", libraries.RoleMaintenance},
		{"SET maintained_on", libraries.RoleMaintenance},
	}
	if len(recorded) < len(want) {
		t.Fatalf("fixture has %d statements, want at least %d", len(recorded), len(want))
	}
	for _, r := range recorded {
		var matched []libraries.Role
		for _, w := range want {
			if strings.Contains(r.Text, w.has) {
				matched = append(matched, w.role)
			}
		}
		if len(matched) != 1 {
			t.Errorf("statement matches %d phrases of the table, want 1: %q", len(matched), r.Text)
			continue
		}
		if got := libraries.Classify(libraries.PGBoss, r.Text); got != matched[0] {
			t.Errorf("Classify(pg-boss) = %q, want %q: %q", got, matched[0], r.Text)
		}
	}
	runCases(t, libraries.PGBoss, []stmtCase{
		{"v11 fetch from job_common", `WITH next AS (SELECT j.id FROM pgboss.job_common j WHERE j.name = $1 AND j.state < $2 AND NOT j.blocked
			AND j.start_after <= now() ORDER BY j.priority desc, j.created_on, j.id LIMIT $3 FOR UPDATE OF j SKIP LOCKED)
			UPDATE pgboss.job_common j SET state = $4, started_on = now() FROM next WHERE j.id = next.id RETURNING j.id`, libraries.RoleClaim},
		{"queue size is a count", `SELECT count(*) as count FROM pgboss.job WHERE name = $1 AND state < $2`, libraries.RoleMaintenance},
		{"complete without output (pgqtune's pgboss adapter)", `/* pgqtune pgboss complete */
UPDATE "pgboss".job SET completed_on = now(), state = $3 WHERE name = $1 AND id = ANY($2::uuid[]) AND state = $4`, libraries.RoleComplete},
		{"retry by id", `with results as (UPDATE pgboss.job SET state = $3, retry_limit = retry_limit + $4 WHERE name = $1
			AND id IN (SELECT UNNEST($2::uuid[])) AND state = $5 RETURNING $6) SELECT COUNT(*) from results`, libraries.RoleMaintenance},
		{"not pg-boss's", `SELECT 1`, libraries.RoleOther},
	})
}

// recordedTexts reads the statement texts of a fixture sampler's
// real-library tests wrote (PGQTUNE_ROLES_FIXTURE).
func recordedTexts(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recorded []struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(b, &recorded); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recorded {
		out = append(out, r.Text)
	}
	return out
}

// TestClassifyGraphileWorkerRecorded classifies what pg_stat_statements
// recorded while graphile-worker 0.16.6 ran jobs, some in a named queue and
// some failing (testdata/graphile-worker-0.16.6.json).
func TestClassifyGraphileWorkerRecorded(t *testing.T) {
	want := []struct {
		has  string
		role libraries.Role
	}{
		{"for update\n    skip locked", libraries.RoleClaim},
		{"add_job(", libraries.RoleEnqueue},
		{"delete from \"graphile_worker\"._private_jobs as jobs\nwhere id = $1::bigint\nreturning", libraries.RoleComplete},
		{"delete from \"graphile_worker\"._private_jobs as jobs\nwhere id = $1::bigint", libraries.RoleComplete},
		{"last_error = $2::text", libraries.RoleFail},
	}
	texts := recordedTexts(t, "testdata/graphile-worker-0.16.6.json")
	if len(texts) < 5 {
		t.Fatalf("fixture has %d statements", len(texts))
	}
	for _, text := range texts {
		var role libraries.Role
		for _, w := range want {
			if strings.Contains(text, w.has) {
				role = w.role
				break
			}
		}
		if role == libraries.RoleOther {
			t.Errorf("no expected role for %q", text)
			continue
		}
		if got := libraries.Classify(libraries.GraphileWorker, text); got != role {
			t.Errorf("Classify(graphile-worker) = %q, want %q: %q", got, role, text)
		}
	}
}

func TestClassifyGraphileWorker(t *testing.T) {
	// getJob of 0.16 (named-queue strategy 2): the claim locks a job, and
	// nests the lock of the job queues it may take from.
	const getJob = `with j as (select jobs.job_queue_id, jobs.priority, jobs.run_at, jobs.id
		from "graphile_worker"._private_jobs as jobs
		where jobs.is_available = $3 and run_at <= now() and task_id = any($2::int[])
		and (jobs.job_queue_id is null or jobs.job_queue_id in (select id from "graphile_worker"._private_job_queues as job_queues
			where job_queues.is_available = $4 for update skip locked))
		order by priority asc, run_at asc limit $5 for update skip locked),
		q as (update "graphile_worker"._private_job_queues as job_queues set locked_by = $1::text, locked_at = now()
			from j where job_queues.id = j.job_queue_id)
		update "graphile_worker"._private_jobs as jobs set attempts = jobs.attempts + $6, locked_by = $1::text, locked_at = now()
		from j where jobs.id = j.id returning *`
	runCases(t, libraries.GraphileWorker, []stmtCase{
		{"getJob is the claim", getJob, libraries.RoleClaim},
		{"a job-queue lock alone is never the claim", `select id from "graphile_worker"._private_job_queues as job_queues
			where job_queues.is_available = $1 for update skip locked`, libraries.RoleLock},
		{"add_job", `select * from "graphile_worker".add_job(identifier => $1::text, payload => $2::json)`, libraries.RoleEnqueue},
		{"complete one job", `delete from "graphile_worker"._private_jobs as jobs where id = $1::bigint`, libraries.RoleComplete},
		{"complete in a named queue", `with j as (delete from "graphile_worker"._private_jobs as jobs where id = $1::bigint returning *)
			update "graphile_worker"._private_job_queues as job_queues set locked_by = null, locked_at = null
			from j where job_queues.id = j.job_queue_id and job_queues.locked_by = $2::text`, libraries.RoleComplete},
		{"complete a batch", `delete from "graphile_worker"._private_jobs as jobs where id = any($1::bigint[])`, libraries.RoleComplete},
		{"fail", `update "graphile_worker"._private_jobs as jobs set last_error = $2::text,
			run_at = greatest(now(), run_at) + (exp(least(attempts, $5)) * interval $6), locked_by = null, locked_at = null,
			payload = coalesce($4::json, jobs.payload) where id = $1::bigint and locked_by = $3::text`, libraries.RoleFail},
		{"reset stale locks", `update "graphile_worker"._private_jobs as jobs set locked_at = null, locked_by = null,
			run_at = greatest(run_at, now()) where locked_at < now() - interval $1`, libraries.RoleMaintenance},
		{"count", `select count(*) from "graphile_worker"._private_jobs`, libraries.RoleMaintenance},
	})
}

func TestClassifyRiver(t *testing.T) {
	claim, err := os.ReadFile("../recommendations/testdata/river_claim.sql")
	if err != nil {
		t.Fatal(err)
	}
	runCases(t, libraries.River, []stmtCase{
		{"JobGetAvailable", string(claim), libraries.RoleClaim},
		{"JobInsertFastMany", "-- name: JobInsertFastMany :many\nWITH raw_job_data AS (SELECT unnest($1::jsonb[]) AS args)\n" +
			"INSERT INTO river_job(args) SELECT args FROM raw_job_data RETURNING *", libraries.RoleEnqueue},
		{"JobSetStateIfRunningMany", "-- name: JobSetStateIfRunningMany :many\nWITH job_input AS (SELECT unnest($1::bigint[]) AS id)\n" +
			"UPDATE river_job SET state = $2 FROM job_input WHERE river_job.id = job_input.id RETURNING river_job.*", libraries.RoleComplete},
		{"JobSchedule locks without SKIP LOCKED: maintenance", "-- name: JobSchedule :many\nWITH jobs_to_schedule AS (SELECT id FROM river_job " +
			"WHERE state IN ($1, $2) ORDER BY priority LIMIT $3 FOR UPDATE) UPDATE river_job SET state = $4 FROM jobs_to_schedule " +
			"WHERE river_job.id = jobs_to_schedule.id RETURNING river_job.*", libraries.RoleMaintenance},
		{"JobDeleteMany is no claim", "-- name: JobDeleteMany :many\nWITH jobs_to_delete AS (SELECT * FROM river_job WHERE state != $1 " +
			"ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) DELETE FROM river_job WHERE id IN (SELECT id FROM jobs_to_delete) RETURNING *",
			libraries.RoleMaintenance},
		{"leader election", "-- name: LeaderAttemptElect :execrows\nINSERT INTO river_leader (leader_id, elected_at, expires_at) " +
			"VALUES ($1, now(), now() + $2::interval) ON CONFLICT (name) DO NOTHING", libraries.RoleLock},
		{"claim without its name", `WITH locked_jobs AS (SELECT id FROM river_job WHERE state = $1 AND queue = $2 ORDER BY priority, scheduled_at, id
			LIMIT $3 FOR UPDATE SKIP LOCKED) UPDATE river_job SET state = $4 FROM locked_jobs WHERE river_job.id = locked_jobs.id RETURNING river_job.*`,
			libraries.RoleClaim},
	})
}

func TestClassifyPGMQ(t *testing.T) {
	runCases(t, libraries.PGMQ, []stmtCase{
		// pg_stat_statements.track = top: the function calls.
		{"read", `select * from pgmq.read($1,$2,$3)`, libraries.RoleClaim},
		{"read_with_poll", `SELECT * FROM pgmq.read_with_poll($1, $2, $3, $4, $5)`, libraries.RoleClaim},
		{"pop", `select * from pgmq.pop($1)`, libraries.RoleClaim},
		{"send", `select * from pgmq.send($1, $2::jsonb)`, libraries.RoleEnqueue},
		{"send_batch", `select * from pgmq.send_batch($1, $2::jsonb[])`, libraries.RoleEnqueue},
		{"archive", `select pgmq.archive($1, $2::bigint)`, libraries.RoleComplete},
		{"delete", `select pgmq.delete($1, $2)`, libraries.RoleComplete},
		{"set_vt", `select * from pgmq.set_vt($1, $2, $3)`, libraries.RoleFail},
		{"metrics", `select * from pgmq.metrics($1)`, libraries.RoleMaintenance},
		// track = all: the statements inside them.
		{"inner read", `WITH cte AS (SELECT msg_id FROM pgmq.q_orders WHERE vt <= clock_timestamp() ORDER BY msg_id ASC LIMIT $1
			FOR UPDATE SKIP LOCKED) UPDATE pgmq.q_orders m SET vt = clock_timestamp() + $2, read_ct = read_ct + $3
			FROM cte WHERE m.msg_id = cte.msg_id RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message`, libraries.RoleClaim},
		{"inner send", `INSERT INTO pgmq.q_orders (vt, message) VALUES ((clock_timestamp() + $1), $2) RETURNING msg_id`, libraries.RoleEnqueue},
		{"inner archive", `WITH archived AS (DELETE FROM pgmq.q_orders WHERE msg_id = $1 RETURNING msg_id, vt, read_ct, enqueued_at, message)
			INSERT INTO pgmq.a_orders (msg_id, vt, read_ct, enqueued_at, message) SELECT msg_id, vt, read_ct, enqueued_at, message
			FROM archived RETURNING msg_id`, libraries.RoleComplete},
		{"inner set_vt", `UPDATE pgmq.q_orders SET vt = (now() + $1) WHERE msg_id = $2 RETURNING *`, libraries.RoleFail},
		{"inner metrics", `SELECT count(*) as queue_length FROM pgmq.q_orders`, libraries.RoleMaintenance},
	})
}

func TestClassifyOthers(t *testing.T) {
	runCases(t, libraries.Que, []stmtCase{
		{"advisory-lock claim", `WITH RECURSIVE jobs AS (SELECT (j).*, pg_try_advisory_lock((j).id) AS locked FROM (SELECT j FROM public.que_jobs AS j
			WHERE queue = $1::text AND run_at <= now() ORDER BY priority, run_at, id LIMIT $2) AS t1
			UNION ALL (SELECT (j).*, pg_try_advisory_lock((j).id) AS locked FROM (SELECT (SELECT j FROM public.que_jobs AS j
			WHERE queue = $1::text AND run_at <= now() AND (priority, run_at, id) > (jobs.priority, jobs.run_at, jobs.id)
			ORDER BY priority, run_at, id LIMIT $3) AS j FROM jobs WHERE jobs.id IS NOT NULL LIMIT $4) AS t1))
			SELECT id FROM jobs WHERE locked LIMIT $5`, libraries.RoleClaim},
		{"enqueue", `INSERT INTO public.que_jobs (queue, priority, run_at, job_class, args) VALUES (coalesce($1, $2)::text, $3, $4, $5, $6) RETURNING *`, libraries.RoleEnqueue},
		{"destroy", `DELETE FROM public.que_jobs WHERE id = $1`, libraries.RoleComplete},
		{"error", `UPDATE public.que_jobs SET error_count = error_count + $1, run_at = now() + $2, last_error_message = $3 WHERE id = $4`, libraries.RoleFail},
		{"unlock", `SELECT pg_advisory_unlock($1)`, libraries.RoleLock},
	})
	runCases(t, libraries.GoodJob, []stmtCase{
		{"advisory-lock claim", `WITH rows AS MATERIALIZED (SELECT "good_jobs"."id", "good_jobs"."active_job_id" FROM "good_jobs"
			WHERE "good_jobs"."finished_at" IS NULL AND ("good_jobs"."scheduled_at" <= $1 OR "good_jobs"."scheduled_at" IS NULL)
			ORDER BY priority DESC NULLS LAST, created_at ASC LIMIT $2) SELECT "good_jobs".* FROM "good_jobs"
			WHERE pg_try_advisory_lock(($3 || substr(md5($4 || $5 || "good_jobs"."active_job_id"::text), $6, $7))::bit(64)::bigint)
			AND "good_jobs"."id" IN (SELECT "id" FROM "rows") ORDER BY priority DESC NULLS LAST, created_at ASC`, libraries.RoleClaim},
		{"enqueue", `INSERT INTO "good_jobs" ("queue_name", "priority", "serialized_params", "scheduled_at", "active_job_id", "job_class") VALUES ($1, $2, $3, $4, $5, $6) RETURNING "id"`, libraries.RoleEnqueue},
		{"finish", `UPDATE "good_jobs" SET "finished_at" = $1, "updated_at" = $2 WHERE "good_jobs"."id" = $3`, libraries.RoleComplete},
		{"performed_at is no completion", `UPDATE "good_jobs" SET "performed_at" = $1 WHERE "good_jobs"."id" = $2`, libraries.RoleOther},
	})
	runCases(t, libraries.SolidQueue, []stmtCase{
		{"claim", `SELECT "solid_queue_ready_executions".* FROM "solid_queue_ready_executions" WHERE "solid_queue_ready_executions"."queue_name" = $1
			ORDER BY "solid_queue_ready_executions"."priority" ASC, "solid_queue_ready_executions"."job_id" ASC LIMIT $2 FOR UPDATE SKIP LOCKED`, libraries.RoleClaim},
		{"enqueue", `INSERT INTO "solid_queue_jobs" ("queue_name", "class_name", "arguments") VALUES ($1, $2, $3) RETURNING "id"`, libraries.RoleEnqueue},
		{"complete", `DELETE FROM "solid_queue_claimed_executions" WHERE "solid_queue_claimed_executions"."id" = $1`, libraries.RoleComplete},
		{"fail", `INSERT INTO "solid_queue_failed_executions" ("job_id", "error") VALUES ($1, $2) RETURNING "id"`, libraries.RoleFail},
		{"heartbeat", `UPDATE "solid_queue_processes" SET "last_heartbeat_at" = $1 WHERE "solid_queue_processes"."id" = $2`, libraries.RoleMaintenance},
	})
	runCases(t, libraries.SkipLocked, []stmtCase{
		{"claim", "/* pgqtune skiplocked claim */\nUPDATE pgqtune.job AS j SET state = $3, attempts = j.attempts + $4, started_at = now() " +
			"FROM (SELECT id FROM pgqtune.job WHERE queue = $1 AND state = $5 AND run_at <= now() ORDER BY priority, run_at LIMIT $2 FOR UPDATE SKIP LOCKED) AS c " +
			"WHERE j.id = c.id RETURNING j.id, j.attempts, j.run_at", libraries.RoleClaim},
		{"complete", "UPDATE pgqtune.job SET state = $1, finished_at = now() WHERE id = ANY($2)", libraries.RoleComplete},
		{"enqueue", "INSERT INTO pgqtune.job (queue, priority, payload) SELECT $1, $2, x FROM unnest($3::jsonb[]) x", libraries.RoleEnqueue},
		{"retention", "DELETE FROM pgqtune.job WHERE state = $1 AND finished_at < now() - $2::interval", libraries.RoleMaintenance},
		{"count", "SELECT queue, count(*) FROM pgqtune.job GROUP BY queue ORDER BY 2 DESC", libraries.RoleMaintenance},
		{"cut short", "/* pgqtune claim */ UPDATE pgqtune.job SET ... FOR UPDATE SKIP LOCKED", libraries.RoleClaim},
	})
	if got := libraries.Classify("no-such-library", "SELECT 1 FOR UPDATE SKIP LOCKED"); got != libraries.RoleOther {
		t.Errorf("unknown library: %q", got)
	}
}
