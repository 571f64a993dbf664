/* pgqtune */
-- pg_stat_statements counters (extension 1.8+, Postgres 13+) for this
-- database, without query texts: texts are read once per new queryid
-- (statement_texts.sql). {{pgss}} is the extension's quoted schema and
-- {{toplevel}} "AND s.toplevel" from 1.9 on. pg_stat_statements is an
-- in-memory hash; no index is involved.
SELECT s.queryid, s.userid, s.dbid, s.calls, s.total_exec_time, s.rows,
       s.shared_blks_hit, s.shared_blks_read, s.shared_blks_dirtied, s.shared_blks_written,
       s.temp_blks_read, s.temp_blks_written,
       s.wal_records, s.wal_fpi, s.wal_bytes::bigint
FROM {{pgss}}.pg_stat_statements(false) s
WHERE s.dbid = $1 AND s.queryid IS NOT NULL {{toplevel}}
