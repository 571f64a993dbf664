/* pgqtune pgmq lookup */
-- Settles a send whose commit outcome is unknown: which of $1 exist, live or
-- archived. Sequential scans, only after a connection died mid-send.
SELECT (message->>'seq')::bigint FROM {q} WHERE (message->>'seq')::bigint = ANY($1::bigint[])
UNION ALL
SELECT (message->>'seq')::bigint FROM {a} WHERE (message->>'seq')::bigint = ANY($1::bigint[])
