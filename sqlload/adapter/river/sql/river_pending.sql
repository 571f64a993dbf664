/* pgqtune river pending */
-- End-of-run integrity listing: every job not finalized (River keeps
-- completed and discarded rows until its JobCleaner deletes them). The args
-- carry the driver's seq. A scan of the unfinished rows, once.
SELECT (args->>'seq')::bigint
  FROM {schema}.river_job
 WHERE kind = 'pgqtune' AND state IN ('available', 'scheduled', 'retryable', 'pending', 'running')
