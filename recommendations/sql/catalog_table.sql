/* pgqtune */
-- One queue table, looked up by name through to_regclass (pg_class_relname_nsp_index).
SELECT c.oid::int8,
       n.nspname,
       c.relname,
       c.relkind::text,
       coalesce(c.reloptions, '{}'::text[]),
       c.relpages::int8,
       c.reltuples::float8,
       pg_catalog.pg_relation_size(c.oid),
       pg_catalog.pg_indexes_size(c.oid),
       coalesce(s.n_live_tup, 0),
       coalesce(s.n_dead_tup, 0),
       coalesce(s.n_tup_ins, 0),
       coalesce(s.n_tup_upd, 0),
       coalesce(s.n_tup_hot_upd, 0),
       coalesce(s.n_tup_del, 0),
       -- n_tup_newpage_upd exists from PG16: read through to_jsonb so one
       -- text serves every version (NULL before 16).
       (pg_catalog.to_jsonb(s) ->> 'n_tup_newpage_upd')::int8,
       c.relispartition,
       CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) ELSE '' END,
       (SELECT count(*) FROM pg_catalog.pg_inherits i WHERE i.inhparent = c.oid)::int8,
       array(SELECT pg_catalog.pg_get_constraintdef(k.oid, true)
               FROM pg_catalog.pg_constraint k
              WHERE k.conrelid = c.oid AND k.contype = 'c'
              ORDER BY k.conname),
       c.relpersistence = 'u'
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_stat_all_tables s ON s.relid = c.oid
 WHERE c.oid = pg_catalog.to_regclass($1)
   AND c.relkind IN ('r', 'p')
