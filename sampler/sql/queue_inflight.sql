/* pgqtune */
-- Claimed, unfinished jobs of one queue, capped like queue_depth.sql. Relies
-- on an index over the in-flight predicate (checked with EXPLAIN at start).
SELECT count(*) FROM (SELECT 1 FROM {{table}} WHERE {{inflight}} LIMIT 100001) q
