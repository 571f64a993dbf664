/* pgqtune */
-- The leaf partitions of a partitioned queue table (pg-boss 10+ keeps one
-- per queue name): their tuple counters add up to the queue's.
SELECT c.oid, n.nspname || '.' || c.relname
FROM pg_catalog.pg_partition_tree($1::regclass) p
JOIN pg_catalog.pg_class c ON c.oid = p.relid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE p.isleaf
