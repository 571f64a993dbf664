/* pgqtune pgboss fetch */
-- pg-boss v10's fetchNextJob (standard policy, priority on): lock the next
-- $2 jobs in pg-boss's order, then mark them active in the same statement.
WITH next AS (
  SELECT id
    FROM {schema}.job
   WHERE name = $1
     AND state < 'active'
     AND start_after < now()
   ORDER BY priority DESC, created_on, id
   LIMIT $2
     FOR UPDATE SKIP LOCKED
)
UPDATE {schema}.job j SET
  state = 'active',
  started_on = now(),
  retry_count = CASE WHEN started_on IS NOT NULL THEN retry_count + 1 ELSE retry_count END
  FROM next
 WHERE name = $1 AND j.id = next.id
RETURNING j.id::text, (j.data->>'seq')::bigint, (j.data->>'t')::bigint, j.retry_count, j.start_after
