/* pgqtune pgmq extension read */
-- The real extension's read: $3 messages hidden for $2 seconds. enqueued_at
-- stands in for the start of the wait (pgmq.read does not return the old vt).
SELECT msg_id, (message->>'seq')::bigint, (message->>'t')::bigint, read_ct, enqueued_at
  FROM pgmq.read($1::text, $2::integer, $3::integer)
