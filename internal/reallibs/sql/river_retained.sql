/* pgqtune reallibs: $2 completed River jobs of kind $1, as River keeps them
   until its JobCleaner deletes them; river_job_prioritized_fetching_index
   (state, queue, priority, scheduled_at, id) lets the fetch skip them. */
INSERT INTO river_job (kind, args, max_attempts, state, attempt, attempted_at, finalized_at)
SELECT $1, jsonb_build_object('i', g), 25, 'completed', 1, now(), now()
FROM generate_series(1, $2::int) g
