/* pgqtune */
-- Waiting jobs of one queue, counted up to a cap so a runaway backlog
-- never makes the tick slow, with the oldest one's age. {{table}} is the
-- quoted queue table, {{pending}}/{{time}} come from queues.go. The index it
-- relies on is the queue system's own claim index on the pending predicate
-- (e.g. skiplocked's job_claim_idx, River's river_job_prioritized_fetching_index);
-- the sampler EXPLAINs it at start and skips it when the plan is costly.
SELECT count(*), coalesce(extract(epoch FROM pg_catalog.now() - min(q.t)), -1)::float8
FROM (SELECT {{time}} AS t FROM {{table}} WHERE {{pending}} LIMIT 100001) q
