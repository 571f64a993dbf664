/* pgqtune pgboss fail */
-- A failed attempt: 'retry' runnable again at $4, or 'failed' for good when
-- $4 is null. Matching the attempt (retry_count) keeps a repeated call from
-- failing a later delivery of the same job.
UPDATE {schema}.job j
   SET state = CASE WHEN $4::timestamptz IS NULL THEN 'failed' ELSE 'retry' END::{schema}.job_state,
       start_after = coalesce($4::timestamptz, j.start_after),
       completed_on = CASE WHEN $4::timestamptz IS NULL THEN now() END,
       output = jsonb_build_object('message', $5::text)
  FROM unnest($2::uuid[], $3::int[]) AS f(id, rc)
 WHERE j.name = $1 AND j.id = f.id AND j.retry_count = f.rc AND j.state = 'active'
