/* pgqtune */
-- Relations are named schema.table (pg_class_oid_index), as everywhere in a sample.
-- What the blocking sessions are doing and which relation locks they hold
-- (as "relation<TAB>mode"), read only for pids that block someone.
-- {{query_id}} is a.query_id (14+: tells the workload's own claim holding
-- rows while it runs from a foreign session) or 0.
SELECT a.pid, coalesce(a.state, ''), coalesce(left(a.query, 2000), ''), coalesce(a.application_name, ''),
       coalesce(extract(epoch FROM pg_catalog.clock_timestamp() - a.xact_start), 0)::float8,
       coalesce({{query_id}}, 0)::int8,
       ARRAY(SELECT coalesce((SELECT rn.nspname || '.' || rc.relname FROM pg_catalog.pg_class rc JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace WHERE rc.oid = l.relation), l.relation::text) || E'\t' || l.mode
             FROM pg_catalog.pg_locks l
             WHERE l.pid = a.pid AND l.granted AND l.locktype = 'relation' AND l.database = $2)
FROM pg_catalog.pg_stat_activity a
WHERE a.pid = ANY($1)
