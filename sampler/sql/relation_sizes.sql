/* pgqtune */
-- Sizes of the sampled tables (pg_class_oid_index). pg_relation_size()
-- takes AccessShareLock, which would queue behind an AccessExclusiveLock
-- held or awaited on the table or one of its indexes: then the planner's
-- page counts (relpages) stand in, so the sampler never waits in a lock
-- queue (lock_timeout bounds the remaining race).
WITH rel AS (
    SELECT c.oid, c.relpages, c.reltoastrelid,
           EXISTS (SELECT 1 FROM pg_catalog.pg_locks l
                   WHERE l.locktype = 'relation' AND l.database = $2 AND l.mode = 'AccessExclusiveLock'
                     AND (l.relation = c.oid OR l.relation = c.reltoastrelid
                          OR l.relation IN (SELECT i.indexrelid FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid))) AS locked
    FROM pg_catalog.pg_class c
    WHERE c.oid = ANY($1)
)
SELECT r.oid,
       CASE WHEN r.locked THEN r.relpages::bigint * pg_catalog.current_setting('block_size')::bigint
            ELSE coalesce(pg_catalog.pg_relation_size(r.oid), 0) END,
       CASE WHEN r.locked THEN coalesce((SELECT sum(ic.relpages)::bigint FROM pg_catalog.pg_index i
                                          JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                                          WHERE i.indrelid = r.oid), 0) * pg_catalog.current_setting('block_size')::bigint
            ELSE coalesce(pg_catalog.pg_indexes_size(r.oid), 0) END,
       CASE WHEN r.reltoastrelid = 0 THEN 0
            WHEN r.locked THEN coalesce((SELECT tc.relpages::bigint FROM pg_catalog.pg_class tc WHERE tc.oid = r.reltoastrelid), 0)
                               * pg_catalog.current_setting('block_size')::bigint
            ELSE coalesce(pg_catalog.pg_total_relation_size(r.reltoastrelid), 0) END,
       r.locked
FROM rel r
