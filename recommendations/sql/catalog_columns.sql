/* pgqtune */
-- Columns of one table (pg_attribute_relid_attnum_index), with planner
-- statistics from pg_stats where the table has been analyzed. Most common
-- values are read only for text-like and enum columns, where they name
-- queue states.
SELECT a.attname::text,
       pg_catalog.format_type(a.atttypid, a.atttypmod),
       a.attnotnull,
       coalesce(pg_catalog.pg_get_expr(d.adbin, d.adrelid), ''),
       coalesce(st.avg_width, CASE WHEN a.attlen > 0 THEN a.attlen ELSE 32 END)::int,
       coalesce(st.n_distinct, 0)::float8,
       CASE WHEN t.typtype = 'e'
            THEN array(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e
                        WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)
            ELSE '{}'::text[] END,
       CASE WHEN t.typtype = 'e' OR a.atttypid IN ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype)
            THEN coalesce((st.most_common_vals::text)::text[], '{}'::text[])
            ELSE '{}'::text[] END,
       coalesce(st.most_common_freqs::float8[], '{}'::float8[])
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  LEFT JOIN pg_catalog.pg_stats st
         ON st.schemaname = $2 AND st.tablename = $3 AND st.attname = a.attname AND NOT st.inherited
 WHERE a.attrelid = $1::oid
   AND a.attnum > 0
   AND NOT a.attisdropped
 ORDER BY a.attnum
