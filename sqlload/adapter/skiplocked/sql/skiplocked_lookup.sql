/* pgqtune skiplocked lookup */
-- Settles an enqueue whose commit outcome is unknown: which of $1 exist in
-- any state. A sequential scan, only after a connection died mid-enqueue.
SELECT (payload->>'seq')::bigint FROM {schema}.job WHERE (payload->>'seq')::bigint = ANY($1)
UNION ALL
SELECT (payload->>'seq')::bigint FROM {schema}.job_archive WHERE (payload->>'seq')::bigint = ANY($1)
