/* pgqtune */
-- Normalized texts of queryids seen for the first time in this run. Reading
-- texts loads the whole query-text file, so it is done only for new ids.
SELECT s.queryid, s.query
FROM {{pgss}}.pg_stat_statements(true) s
WHERE s.dbid = $1 AND s.queryid = ANY($2)
