/* pgqtune */
-- Rows of a queue table of unknown shape, capped like queue_depth.sql: its
-- depth when finished jobs are deleted. Run only when EXPLAIN finds it
-- cheap (a small table, or an index-only scan of its primary key).
SELECT count(*), -1::float8 FROM (SELECT 1 FROM {{table}} LIMIT 100001) q
