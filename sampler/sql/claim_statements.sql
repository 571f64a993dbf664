/* pgqtune */
-- Statements of this database that claim rows with SKIP LOCKED: the tables
-- they read are queues even when no known queue system made them.
-- {{pgss}} is pg_stat_statements' quoted schema; it is an in-memory hash
-- (no index) and reading texts loads its text file, so this runs only while
-- no queue table is known.
SELECT s.query
FROM {{pgss}}.pg_stat_statements(true) s
WHERE s.dbid = $1 AND s.query ILIKE '%skip locked%'
ORDER BY s.calls DESC
LIMIT 50
