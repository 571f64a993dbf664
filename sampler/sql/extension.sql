/* pgqtune */
-- An extension's schema and version in this database (pg_extension_name_index).
SELECT n.nspname, e.extversion
FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname = $1
