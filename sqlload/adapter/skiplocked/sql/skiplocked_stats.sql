/* pgqtune skiplocked stats */
-- Reads only pending rows, through job_claim_idx's predicate, so its cost
-- follows the backlog, not the table (update mode keeps completed rows).
SELECT count(*) FILTER (WHERE run_at <= now()),
       count(*) FILTER (WHERE run_at > now()),
       coalesce(extract(epoch FROM now() - min(run_at) FILTER (WHERE run_at <= now())), 0)::float8
  FROM {schema}.job
 WHERE state = 'pending'
