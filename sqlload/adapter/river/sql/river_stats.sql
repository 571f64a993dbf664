/* pgqtune river stats */
-- River's job states: available (runnable once scheduled_at has passed),
-- scheduled / retryable (waiting for a time), running (a worker holds it).
-- The state list lets it read only unfinished rows through
-- river_job_prioritized_fetching_index (state, queue, priority, scheduled_at,
-- id), so its cost follows the backlog, not the completed rows River keeps.
SELECT count(*) FILTER (WHERE state = 'available' AND scheduled_at <= now()),
       count(*) FILTER (WHERE state IN ('scheduled', 'retryable', 'pending')
                           OR (state = 'available' AND scheduled_at > now())),
       count(*) FILTER (WHERE state = 'running'),
       coalesce(extract(epoch FROM now() - min(scheduled_at) FILTER (WHERE state = 'available' AND scheduled_at <= now())), 0)::float8
  FROM {schema}.river_job
 WHERE state IN ('available', 'scheduled', 'retryable', 'pending', 'running')
