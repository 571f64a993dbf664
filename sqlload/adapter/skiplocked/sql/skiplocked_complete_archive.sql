/* pgqtune skiplocked complete archive */
-- Moves finished rows to job_archive in one statement (one transaction), by
-- primary key; only rows still active, so a retried call is a no-op.
WITH done AS (
    DELETE FROM {schema}.job WHERE id = ANY($1) AND state = 'active'
    RETURNING id, queue, priority, payload, attempts, created_at, started_at
)
INSERT INTO {schema}.job_archive (id, queue, priority, payload, attempts, created_at, started_at, finished_at)
SELECT id, queue, priority, payload, attempts, created_at, started_at, now() FROM done
