-- The built-in "skiplocked" queue: a pg-boss-like job table. Created in the
-- run's own schema (search_path is set by the migrator).
CREATE TABLE job (
    id           bigserial   PRIMARY KEY,
    queue        text        NOT NULL DEFAULT 'default',
    state        text        NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'active', 'completed', 'failed')),
    priority     smallint    NOT NULL DEFAULT 0,
    run_at       timestamptz NOT NULL DEFAULT now(),
    payload      jsonb       NOT NULL DEFAULT '{}',
    attempts     integer     NOT NULL DEFAULT 0,
    max_attempts integer     NOT NULL DEFAULT 3,
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    started_at   timestamptz,
    finished_at  timestamptz
);

-- job_claim_idx serves the claim query
-- (sqlload/adapter/skiplocked/sql/skiplocked_claim.sql):
--   WHERE queue = $1 AND state = 'pending' AND run_at <= now()
--   ORDER BY priority, run_at LIMIT $2 FOR UPDATE SKIP LOCKED
-- Partial on the pending state so it stays small however many completed
-- rows the table keeps; its columns are the filter's equality column then
-- the claim order, so the scan stops after LIMIT rows.
CREATE INDEX job_claim_idx ON job (queue, priority, run_at) WHERE state = 'pending';

-- Completed jobs moved out of job in the "archive" completion mode.
CREATE TABLE job_archive (
    id           bigint      PRIMARY KEY,
    queue        text        NOT NULL,
    priority     smallint    NOT NULL,
    payload      jsonb       NOT NULL,
    attempts     integer     NOT NULL,
    created_at   timestamptz NOT NULL,
    started_at   timestamptz,
    finished_at  timestamptz NOT NULL DEFAULT now()
);
