/* pgqtune */
-- Leaf partitions of one partitioned queue table (pg_partition_tree walks
-- pg_inherits by its inhparent index), capped: pg-boss v10 makes one per
-- queue, and a deployment may have thousands.
SELECT n.nspname || '.' || c.relname
  FROM pg_catalog.pg_partition_tree(pg_catalog.to_regclass($1)) t
  JOIN pg_catalog.pg_class c ON c.oid = t.relid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE t.isleaf
 ORDER BY 1
 LIMIT $2
