/* pgqtune */
-- Indexes of the sampled tables (pg_index_indrelid_index via the stats
-- view's join). Sizes as in relation_sizes.sql: relpages when an
-- AccessExclusiveLock is held or awaited on the index or its table.
SELECT s.indexrelid, s.schemaname || '.' || s.relname, s.schemaname || '.' || s.indexrelname,
       coalesce(s.idx_scan, 0), coalesce(s.idx_tup_read, 0), coalesce(s.idx_tup_fetch, 0),
       CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_locks l
                         WHERE l.locktype = 'relation' AND l.database = $2 AND l.mode = 'AccessExclusiveLock'
                           AND l.relation IN (s.indexrelid, s.relid))
            THEN (SELECT c.relpages::bigint FROM pg_catalog.pg_class c WHERE c.oid = s.indexrelid)
                 * pg_catalog.current_setting('block_size')::bigint
            ELSE coalesce(pg_catalog.pg_relation_size(s.indexrelid), 0) END,
       CASE WHEN $3::oid[] @> ARRAY[s.indexrelid] THEN '' ELSE coalesce(pg_catalog.pg_get_indexdef(s.indexrelid), '') END
FROM pg_catalog.pg_stat_user_indexes s
WHERE s.relid = ANY($1)
