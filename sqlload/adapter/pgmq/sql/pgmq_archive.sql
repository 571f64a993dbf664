/* pgqtune pgmq archive */
-- pgmq.archive: move by primary key into the archive table in one statement.
-- $2 is NULL on completion; on a final failure it is the error, kept in the
-- archived row's headers so dead letters can be told from finished work. A
-- repeated call moves nothing (the rows are gone from {q}).
WITH archived AS (
    DELETE FROM {q} WHERE msg_id = ANY($1::bigint[])
    RETURNING msg_id, read_ct, enqueued_at, vt, message, headers
)
INSERT INTO {a} (msg_id, read_ct, enqueued_at, vt, message, headers)
SELECT msg_id, read_ct, enqueued_at, vt, message,
       CASE WHEN $2::text IS NULL THEN headers
            ELSE coalesce(headers, '{}'::jsonb) || jsonb_build_object('pgqtune_failed', $2::text) END
  FROM archived
