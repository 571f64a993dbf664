/* pgqtune */
-- Running vacuums in this database (pg_stat_progress_vacuum is read from
-- backend memory; no index). {{dead}} is num_dead_tuples up to 16 and
-- num_dead_item_ids from 17. Without pg_read_all_stats, other roles'
-- rows (autovacuum's) have NULL columns.
SELECT p.pid, coalesce((SELECT rn.nspname || '.' || rc.relname FROM pg_catalog.pg_class rc JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace WHERE rc.oid = p.relid), ''), coalesce(p.phase, ''),
       coalesce(a.query LIKE 'autovacuum:%', a.backend_type = 'autovacuum worker', false),
       coalesce(p.heap_blks_total, 0), coalesce(p.heap_blks_scanned, 0), coalesce(p.heap_blks_vacuumed, 0),
       coalesce(p.index_vacuum_count, 0), coalesce({{dead}}, 0)
FROM pg_catalog.pg_stat_progress_vacuum p
LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = p.pid
WHERE p.datid = $1
