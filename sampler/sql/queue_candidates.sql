/* pgqtune */
-- Tables that could be queues: every ordinary or partitioned table that is
-- not itself a partition, with its column names (pg_attribute_relid_attnum_index).
-- $1 restricts to given oids when not empty (named --queue-table, or
-- tables SKIP LOCKED statements claim from); otherwise only tables named
-- like a known queue system's are read, so that detection stays cheap in a
-- database with thousands of tables (pg_class_relname_nsp_index).
SELECT c.oid, n.nspname, c.relname, c.relkind = 'p',
       ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
  AND CASE WHEN coalesce(cardinality($1::oid[]), 0) = 0
           THEN c.relname IN ('job', 'river_job', '_private_jobs', 'jobs', 'que_jobs', 'good_jobs',
                              'solid_queue_ready_executions') OR c.relname LIKE 'q\_%'
           ELSE c.oid = ANY($1) END
