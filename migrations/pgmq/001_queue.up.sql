-- The built-in "pgmq" queue: tables shaped like the pgmq extension's (1.x)
-- for one queue named "default", so the same claim/read SQL and the same
-- observers work on both. Created in the run's own schema (search_path is
-- set by the migrator); the extension itself would put them in schema pgmq.

-- meta mirrors pgmq.meta: one row per queue, which is how pgmq tooling (and
-- `pgqtune observe`) discovers queues.
CREATE TABLE meta (
    queue_name     varchar     NOT NULL UNIQUE,
    is_partitioned boolean     NOT NULL DEFAULT false,
    is_unlogged    boolean     NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now()
);
INSERT INTO meta (queue_name) VALUES ('default');

-- q_default is the live queue. vt (visibility timeout) is when a message may
-- be read (again): send sets it to now() (+ delay), read pushes it forward by
-- the visibility timeout, so an unfinished message reappears by itself.
CREATE TABLE q_default (
    msg_id      bigint      PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    read_ct     integer     NOT NULL DEFAULT 0,
    enqueued_at timestamptz NOT NULL DEFAULT now(),
    vt          timestamptz NOT NULL,
    message     jsonb,
    headers     jsonb
);

-- q_default_vt_idx is pgmq's own index: it serves the read query
-- (sqlload/adapter/pgmq/sql/pgmq_read.sql): WHERE vt <= clock_timestamp()
-- ORDER BY msg_id LIMIT n FOR UPDATE SKIP LOCKED. pgmq orders by msg_id and relies on the
-- primary key for the order; vt bounds the visible set.
CREATE INDEX q_default_vt_idx ON q_default (vt ASC);

-- a_default receives messages archived instead of deleted.
CREATE TABLE a_default (
    msg_id      bigint      PRIMARY KEY,
    read_ct     integer     NOT NULL DEFAULT 0,
    enqueued_at timestamptz NOT NULL DEFAULT now(),
    archived_at timestamptz NOT NULL DEFAULT now(),
    vt          timestamptz NOT NULL,
    message     jsonb,
    headers     jsonb
);
CREATE INDEX archived_at_idx_default ON a_default (archived_at);
