-- The newest runs first; uses run_started_at_idx.
SELECT r.id, r.started_at, r.mode, r.scenario, r.server_version, coalesce(r.target, ''),
       coalesce(r.jobs_per_s_baseline, 0), coalesce(r.jobs_per_s_mean, 0), coalesce(r.p99_ms, 0),
       r.findings, r.recommendations,
       coalesce((SELECT array_agg(DISTINCT f.cause ORDER BY f.cause) FROM finding f WHERE f.run_id = r.id), '{}')
FROM run r
ORDER BY r.started_at DESC
LIMIT $1
