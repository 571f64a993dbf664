/* pgqtune */
-- Indexes of one table (pg_index_indrelid_index), with their key columns in
-- order, sort direction, INCLUDE columns, partial predicate and usage.
SELECT i.indexrelid::regclass::text,
       pg_catalog.pg_get_indexdef(i.indexrelid),
       am.amname::text,
       pg_catalog.pg_relation_size(i.indexrelid),
       ic.relpages::int8,
       ic.reltuples::float8,
       array(SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k, true)
               FROM pg_catalog.generate_series(1, i.indnkeyatts) k ORDER BY k),
       array(SELECT (i.indoption[k - 1] & 1) = 1
               FROM pg_catalog.generate_series(1, i.indnkeyatts) k ORDER BY k),
       array(SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k, true)
               FROM pg_catalog.generate_series(i.indnkeyatts + 1, i.indnatts) k ORDER BY k),
       coalesce(pg_catalog.pg_get_expr(i.indpred, i.indrelid, true), ''),
       i.indisunique,
       i.indisprimary,
       i.indisvalid,
       coalesce((SELECT k.conname::text FROM pg_catalog.pg_constraint k
                  WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid LIMIT 1), ''),
       coalesce(s.idx_scan, 0)
  FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_catalog.pg_am am ON am.oid = ic.relam
  LEFT JOIN pg_catalog.pg_stat_all_indexes s ON s.indexrelid = i.indexrelid
 WHERE i.indrelid = $1::oid
 ORDER BY 1
