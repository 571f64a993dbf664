/* pgqtune */
-- pg_stat_statements counters for extension versions before 1.8
-- (Postgres 12): total_time instead of total_exec_time and no WAL columns.
SELECT s.queryid, s.userid, s.dbid, s.calls, s.total_time, s.rows,
       s.shared_blks_hit, s.shared_blks_read, s.shared_blks_dirtied, s.shared_blks_written,
       s.temp_blks_read, s.temp_blks_written,
       0::bigint, 0::bigint, 0::bigint
FROM {{pgss}}.pg_stat_statements(false) s
WHERE s.dbid = $1 AND s.queryid IS NOT NULL
