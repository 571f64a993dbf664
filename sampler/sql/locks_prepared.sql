/* pgqtune */
-- Relations are named schema.table (pg_class_oid_index), as everywhere in a sample.
-- Prepared transactions (pid 0 in pg_blocking_pids()) and the relation
-- locks they hold: their pg_locks rows have pid NULL and
-- virtualtransaction '-1/<xid>'.
SELECT p.gid, coalesce(p.owner::text, ''),
       extract(epoch FROM pg_catalog.clock_timestamp() - p.prepared)::float8,
       ARRAY(SELECT coalesce((SELECT rn.nspname || '.' || rc.relname FROM pg_catalog.pg_class rc JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace WHERE rc.oid = l.relation), l.relation::text) || E'\t' || l.mode
             FROM pg_catalog.pg_locks l
             WHERE l.pid IS NULL AND l.virtualtransaction = '-1/' || p.transaction::text AND l.granted
               AND l.locktype = 'relation' AND l.database = $1)
FROM pg_catalog.pg_prepared_xacts p
WHERE p.database = pg_catalog.current_database()
