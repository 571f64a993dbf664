-- A stand-in for the pgmq extension (1.4-style API), for tests only: the
-- extension is not installable on this machine, so the adapter's extension
-- mode is exercised against these functions, written after pgmq's own
-- (same signatures, same table layout, same statements). It is not pgmq.
CREATE SCHEMA IF NOT EXISTS pgmq;

CREATE TYPE pgmq.message_record AS (
    msg_id      bigint,
    read_ct     integer,
    enqueued_at timestamptz,
    vt          timestamptz,
    message     jsonb
);

CREATE TABLE pgmq.meta (
    queue_name     varchar     NOT NULL UNIQUE,
    is_partitioned boolean     NOT NULL DEFAULT false,
    is_unlogged    boolean     NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION pgmq.create(queue_name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TABLE IF NOT EXISTS pgmq.%I (
        msg_id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
        read_ct integer NOT NULL DEFAULT 0,
        enqueued_at timestamptz NOT NULL DEFAULT now(),
        vt timestamptz NOT NULL,
        message jsonb)', 'q_' || queue_name);
    EXECUTE format('CREATE TABLE IF NOT EXISTS pgmq.%I (
        msg_id bigint PRIMARY KEY,
        read_ct integer NOT NULL DEFAULT 0,
        enqueued_at timestamptz NOT NULL DEFAULT now(),
        archived_at timestamptz NOT NULL DEFAULT now(),
        vt timestamptz NOT NULL,
        message jsonb)', 'a_' || queue_name);
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON pgmq.%I (vt ASC)', 'q_' || queue_name || '_vt_idx', 'q_' || queue_name);
    INSERT INTO pgmq.meta (queue_name) VALUES (queue_name) ON CONFLICT DO NOTHING;
END $$;

CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], delay integer DEFAULT 0) RETURNS SETOF bigint LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format('INSERT INTO pgmq.%I (vt, message)
        SELECT clock_timestamp() + make_interval(secs => $2), unnest($1) RETURNING msg_id', 'q_' || queue_name)
        USING msgs, delay;
END $$;

CREATE FUNCTION pgmq.read(queue_name text, vt integer, qty integer) RETURNS SETOF pgmq.message_record LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format('WITH cte AS (
            SELECT msg_id FROM pgmq.%I WHERE vt <= clock_timestamp()
            ORDER BY msg_id ASC LIMIT $1 FOR UPDATE SKIP LOCKED)
        UPDATE pgmq.%I m SET vt = clock_timestamp() + make_interval(secs => $2), read_ct = read_ct + 1
        FROM cte WHERE m.msg_id = cte.msg_id
        RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message', 'q_' || queue_name, 'q_' || queue_name)
        USING qty, vt;
END $$;

CREATE FUNCTION pgmq.delete(queue_name text, msg_ids bigint[]) RETURNS SETOF bigint LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format('DELETE FROM pgmq.%I WHERE msg_id = ANY($1) RETURNING msg_id', 'q_' || queue_name)
        USING msg_ids;
END $$;

CREATE FUNCTION pgmq.archive(queue_name text, msg_ids bigint[]) RETURNS SETOF bigint LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format('WITH archived AS (
            DELETE FROM pgmq.%I WHERE msg_id = ANY($1) RETURNING msg_id, vt, read_ct, enqueued_at, message)
        INSERT INTO pgmq.%I (msg_id, vt, read_ct, enqueued_at, message)
        SELECT msg_id, vt, read_ct, enqueued_at, message FROM archived RETURNING msg_id', 'q_' || queue_name, 'a_' || queue_name)
        USING msg_ids;
END $$;

CREATE FUNCTION pgmq.set_vt(queue_name text, msg_id bigint, vt integer) RETURNS SETOF pgmq.message_record LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format('UPDATE pgmq.%I SET vt = clock_timestamp() + make_interval(secs => $2)
        WHERE msg_id = $1 RETURNING msg_id, read_ct, enqueued_at, vt, message', 'q_' || queue_name)
        USING msg_id, vt;
END $$;
