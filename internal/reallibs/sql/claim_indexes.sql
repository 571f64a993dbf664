/* pgqtune reallibs: the named indexes of one schema, with their tables and
   definitions (catalog lookups by name: pg_class_relname_nsp_index). */
SELECT n.nspname, t.relname, i.relname, pg_get_indexdef(i.oid)
FROM pg_catalog.pg_index x
JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
JOIN pg_catalog.pg_class t ON t.oid = x.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = i.relnamespace
WHERE n.nspname = $1 AND i.relname = ANY($2)
ORDER BY i.relname
