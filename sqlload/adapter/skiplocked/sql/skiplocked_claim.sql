/* pgqtune skiplocked claim */
-- Claims up to $2 runnable jobs of queue $1, best priority first, then the
-- longest-waiting, skipping rows other workers hold. The inner scan relies on
-- job_claim_idx (queue, priority, run_at) WHERE state = 'pending': it reads
-- the index in order and stops after $2 unlocked rows.
UPDATE {schema}.job AS j
   SET state = 'active', attempts = j.attempts + 1, started_at = now()
  FROM (SELECT id
          FROM {schema}.job
         WHERE queue = $1 AND state = 'pending' AND run_at <= now()
         ORDER BY priority, run_at
         LIMIT $2
           FOR UPDATE SKIP LOCKED) AS c
 WHERE j.id = c.id
RETURNING j.id, (j.payload->>'seq')::bigint, (j.payload->>'t')::bigint, j.attempts, j.run_at,
          j.last_error IS NOT DISTINCT FROM 'expired'
