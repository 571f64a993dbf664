-- Queue tables shaped like the systems the sampler detects (only the
-- columns it reads, with the real types), and two rows waiting in each.

-- pg-boss 10+/11: one partition per queue name, plus job_common.
CREATE SCHEMA pgboss;
CREATE TYPE pgboss.job_state AS ENUM ('created', 'retry', 'active', 'completed', 'cancelled', 'failed');
CREATE TABLE pgboss.job (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    name text NOT NULL,
    priority integer NOT NULL DEFAULT 0,
    data jsonb,
    state pgboss.job_state NOT NULL DEFAULT 'created',
    start_after timestamptz NOT NULL DEFAULT now(),
    singleton_key text,
    created_on timestamptz NOT NULL DEFAULT now()
) PARTITION BY LIST (name);
CREATE TABLE pgboss.j_emails PARTITION OF pgboss.job FOR VALUES IN ('emails');
CREATE TABLE pgboss.j_reports PARTITION OF pgboss.job FOR VALUES IN ('reports');
CREATE TABLE pgboss.job_common PARTITION OF pgboss.job DEFAULT;
INSERT INTO pgboss.job (name) VALUES ('emails'), ('reports'), ('misc');
CREATE INDEX ON pgboss.job (name, start_after) WHERE state < 'active';

-- pgmq
CREATE SCHEMA pgmq;
CREATE TABLE pgmq.q_orders (
    msg_id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    read_ct integer NOT NULL DEFAULT 0,
    enqueued_at timestamptz NOT NULL DEFAULT now(),
    vt timestamptz NOT NULL DEFAULT now(),
    message jsonb
);
CREATE INDEX ON pgmq.q_orders (vt);
CREATE TABLE pgmq.a_orders (msg_id bigint PRIMARY KEY, read_ct integer, enqueued_at timestamptz, archived_at timestamptz, vt timestamptz, message jsonb);
INSERT INTO pgmq.q_orders (message) VALUES ('{}'), ('{}');

-- River
CREATE TYPE river_job_state AS ENUM ('available', 'cancelled', 'completed', 'discarded', 'pending', 'retryable', 'running', 'scheduled');
CREATE TABLE river_job (
    id bigserial PRIMARY KEY,
    state river_job_state NOT NULL DEFAULT 'available',
    kind text NOT NULL,
    queue text NOT NULL DEFAULT 'default',
    priority smallint NOT NULL DEFAULT 1,
    scheduled_at timestamptz NOT NULL DEFAULT now(),
    args jsonb
);
CREATE INDEX river_job_prioritized_fetching_index ON river_job (state, queue, priority, scheduled_at, id);
INSERT INTO river_job (kind) VALUES ('email'), ('email');

-- Que 1.x
CREATE TABLE que_jobs (
    id bigserial PRIMARY KEY,
    priority smallint NOT NULL DEFAULT 100,
    run_at timestamptz NOT NULL DEFAULT now(),
    job_class text NOT NULL,
    error_count integer NOT NULL DEFAULT 0,
    queue text NOT NULL DEFAULT 'default',
    finished_at timestamptz,
    expired_at timestamptz
);
INSERT INTO que_jobs (job_class) VALUES ('Mailer'), ('Mailer');

-- graphile-worker 0.16
CREATE SCHEMA graphile_worker;
CREATE TABLE graphile_worker._private_jobs (
    id bigserial PRIMARY KEY,
    run_at timestamptz NOT NULL DEFAULT now(),
    attempts smallint NOT NULL DEFAULT 0,
    max_attempts smallint NOT NULL DEFAULT 25,
    locked_at timestamptz,
    locked_by text
);
INSERT INTO graphile_worker._private_jobs DEFAULT VALUES;
INSERT INTO graphile_worker._private_jobs DEFAULT VALUES;

-- good_job (Rails: timestamp without time zone, in UTC)
CREATE TABLE good_jobs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    queue_name text,
    scheduled_at timestamp,
    performed_at timestamp,
    finished_at timestamp,
    created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
INSERT INTO good_jobs DEFAULT VALUES;
INSERT INTO good_jobs DEFAULT VALUES;

-- solid_queue
CREATE TABLE solid_queue_ready_executions (
    id bigserial PRIMARY KEY,
    job_id bigint NOT NULL,
    queue_name text NOT NULL,
    priority integer NOT NULL DEFAULT 0,
    created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
INSERT INTO solid_queue_ready_executions (job_id, queue_name) VALUES (1, 'default'), (2, 'default');

-- Not a queue.
CREATE TABLE customers (id int PRIMARY KEY, name text);
