/* pgqtune */
-- Relations are named schema.table (pg_class_oid_index), as everywhere in a sample.
-- Sessions waiting on a heavyweight lock. pg_blocking_pids() briefly locks
-- the lock manager, so it is evaluated only for these rows (NOT granted);
-- a 0 in its result is a prepared transaction. pg_locks has no index: it
-- is read from shared memory. {{waitstart}} is l.waitstart (14+) or the
-- query start.
SELECT l.pid, l.locktype, l.mode,
       CASE WHEN l.relation IS NOT NULL AND l.database = $1 THEN coalesce((SELECT rn.nspname || '.' || rc.relname FROM pg_catalog.pg_class rc JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace WHERE rc.oid = l.relation), l.relation::text) ELSE '' END,
       coalesce(extract(epoch FROM pg_catalog.clock_timestamp() - {{waitstart}}), 0)::float8,
       coalesce(left(a.query, 2000), ''), coalesce(a.application_name, ''),
       pg_catalog.pg_blocking_pids(l.pid)
FROM pg_catalog.pg_locks l
LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
WHERE NOT l.granted AND l.pid IS NOT NULL AND l.pid <> pg_catalog.pg_backend_pid()
