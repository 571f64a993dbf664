-- The results store: one row per pgqtune run (report.json kept whole in
-- report) and one per finding, so a team can keep history in a shared
-- database and ask it questions in SQL. Created in the schema chosen at run
-- time (search_path is set by the migrator; pgqtune uses pgqtune_results).
CREATE TABLE run (
    id                  text             PRIMARY KEY,
    started_at          timestamptz      NOT NULL,
    ended_at            timestamptz,
    mode                text             NOT NULL,
    scenario            text             NOT NULL,
    server_version      text             NOT NULL,
    target              text,
    jobs_per_s_baseline double precision,
    jobs_per_s_mean     double precision,
    p50_ms              double precision,
    p95_ms              double precision,
    p99_ms              double precision,
    findings            integer          NOT NULL DEFAULT 0,
    recommendations     integer          NOT NULL DEFAULT 0,
    report              jsonb            NOT NULL,
    stored_at           timestamptz      NOT NULL DEFAULT now()
);

-- run_started_at_idx serves `pgqtune history --store` (newest first, LIMIT).
CREATE INDEX run_started_at_idx ON run (started_at DESC);
-- run_scenario_idx serves "the runs of this scenario over time".
CREATE INDEX run_scenario_idx ON run (scenario, started_at DESC);

CREATE TABLE finding (
    run_id              text             NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    id                  text             NOT NULL,
    cause               text             NOT NULL,
    start_at            timestamptz      NOT NULL,
    end_at              timestamptz      NOT NULL,
    throughput_drop_pct double precision NOT NULL,
    confidence          double precision NOT NULL,
    summary             text             NOT NULL,
    PRIMARY KEY (run_id, id)
);

-- finding_cause_idx serves "which runs had xmin_horizon drops".
CREATE INDEX finding_cause_idx ON finding (cause);
