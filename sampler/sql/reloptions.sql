/* pgqtune */
-- reloptions (fillfactor, per-table autovacuum settings) of the queue
-- tables and their partitions (pg_class_oid_index via regclass).
SELECT n.nspname || '.' || c.relname, coalesce(c.reloptions, '{}')
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = ANY($1)
