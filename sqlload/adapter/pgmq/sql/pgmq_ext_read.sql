/* pgqtune pgmq extension read */
-- The real extension's read: $3 messages hidden for $2 seconds. pgmq.read
-- does not return the old vt, so the start of a delayed message's wait comes
-- from the "r" (run at, Unix microseconds) the adapter put in the message.
SELECT msg_id, (message->>'seq')::bigint, (message->>'t')::bigint, read_ct, enqueued_at,
       coalesce((message->>'r')::bigint, 0)
  FROM pgmq.read($1::text, $2::integer, $3::integer)
