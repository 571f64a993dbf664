/* pgqtune */
-- Installed extensions (pg_extension_name_index is not needed: the catalog is
-- tiny), and the ones the rules could use that are available but not created.
SELECT extname::text, extversion, true
  FROM pg_catalog.pg_extension
UNION ALL
SELECT name::text, '', false
  FROM pg_catalog.pg_available_extensions
 WHERE installed_version IS NULL
   AND name IN ('hypopg', 'pg_partman', 'pgmq', 'pgstattuple', 'pg_stat_statements')
 ORDER BY 1
