/* pgqtune */
-- Every client backend but the sampler's own (pg_stat_activity is an
-- in-memory array; no index). Ages are computed on the server against its
-- own clock.
SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.backend_type, ''),
       coalesce(a.state, ''), coalesce(a.wait_event_type, ''), coalesce(a.wait_event, ''),
       coalesce(left(a.query, 2000), ''),
       coalesce(extract(epoch FROM pg_catalog.clock_timestamp() - a.xact_start), 0)::float8,
       coalesce(extract(epoch FROM pg_catalog.clock_timestamp() - a.query_start), 0)::float8,
       coalesce(pg_catalog.age(a.backend_xmin), 0)::bigint,
       coalesce(extract(epoch FROM pg_catalog.clock_timestamp() - a.state_change), 0)::float8,
       (SELECT d.datname = pg_catalog.current_database() FROM pg_catalog.pg_database d WHERE d.oid = a.datid) IS TRUE
FROM pg_catalog.pg_stat_activity a
WHERE a.pid <> pg_catalog.pg_backend_pid()
  -- Without pg_read_all_stats other roles' rows show backend_type NULL:
  -- those with a database are counted (as state unknown), not dropped.
  AND (a.backend_type = 'client backend' OR (a.backend_type IS NULL AND a.datid IS NOT NULL))
