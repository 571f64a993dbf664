/* pgqtune */
-- Who and where the sampler is: read once per connection.
SELECT pg_catalog.current_setting('server_version') AS version,
       pg_catalog.current_setting('server_version_num')::int AS version_num,
       current_user AS role,
       pg_catalog.current_database() AS db,
       d.oid AS db_oid,
       pg_catalog.pg_backend_pid() AS pid,
       r.rolsuper AS superuser,
       pg_catalog.pg_has_role(current_user, 'pg_monitor', 'USAGE') AS monitor,
       pg_catalog.pg_postmaster_start_time() AS started
FROM pg_catalog.pg_database d, pg_catalog.pg_roles r
WHERE d.datname = pg_catalog.current_database() AND r.rolname = current_user
