/* pgqtune skiplocked claim */
UPDATE pgqtune.job AS j
   SET state = 'active', attempts = j.attempts + 1, started_at = now()
  FROM (SELECT id
          FROM pgqtune.job
         WHERE queue = $1 AND state = 'pending' AND run_at <= now()
         ORDER BY priority, run_at
         LIMIT $2
           FOR UPDATE SKIP LOCKED) AS c
 WHERE j.id = c.id
RETURNING j.id, j.attempts, j.run_at
