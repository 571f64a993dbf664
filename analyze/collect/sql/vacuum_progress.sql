/* pgqtune */
-- Running vacuums in this database (pg_stat_progress_vacuum is read from
-- backend memory; no index). {{dead}} is num_dead_tuples up to 16 and
-- num_dead_item_ids from 17.
SELECT p.pid, p.relid::regclass::text, p.phase,
       coalesce(a.query LIKE 'autovacuum:%', a.backend_type = 'autovacuum worker', false),
       p.heap_blks_total, p.heap_blks_scanned, p.heap_blks_vacuumed, p.index_vacuum_count,
       {{dead}}
FROM pg_catalog.pg_stat_progress_vacuum p
LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = p.pid
WHERE p.datid = $1
