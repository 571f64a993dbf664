-- Upsert one run (by id: storing a run again replaces it).
INSERT INTO run (id, started_at, ended_at, mode, scenario, server_version, target,
                 jobs_per_s_baseline, jobs_per_s_mean, p50_ms, p95_ms, p99_ms,
                 findings, recommendations, report, stored_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, now())
ON CONFLICT (id) DO UPDATE SET
    started_at = EXCLUDED.started_at, ended_at = EXCLUDED.ended_at, mode = EXCLUDED.mode,
    scenario = EXCLUDED.scenario, server_version = EXCLUDED.server_version, target = EXCLUDED.target,
    jobs_per_s_baseline = EXCLUDED.jobs_per_s_baseline, jobs_per_s_mean = EXCLUDED.jobs_per_s_mean,
    p50_ms = EXCLUDED.p50_ms, p95_ms = EXCLUDED.p95_ms, p99_ms = EXCLUDED.p99_ms,
    findings = EXCLUDED.findings, recommendations = EXCLUDED.recommendations,
    report = EXCLUDED.report, stored_at = now()
