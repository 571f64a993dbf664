/* pgqtune skiplocked fail */
-- Matches (id, attempts) so that a retried call cannot touch a job another
-- worker has claimed since (its attempts moved on). $3 NULL = failed for good.
UPDATE {schema}.job AS j
   SET state = CASE WHEN $3::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
       run_at = coalesce($3::timestamptz, j.run_at),
       finished_at = CASE WHEN $3::timestamptz IS NULL THEN now() END,
       last_error = $4
  FROM unnest($1::bigint[], $2::int[]) AS f(id, attempts)
 WHERE j.id = f.id AND j.attempts = f.attempts AND j.state = 'active'
