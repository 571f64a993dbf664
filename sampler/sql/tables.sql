/* pgqtune */
-- Counters of every user table (pg_stat_user_tables joined to
-- pg_statio_user_tables on relid; both are built from the stats hash, no
-- index). The sampler keeps the queue tables and the most active others.
-- $1 NULL reads every table; otherwise only those oids (the stats views
-- push relid = ANY down to pg_class_oid_index), so a database with
-- thousands of tables is read in full only every few ticks.
SELECT t.relid, t.schemaname || '.' || t.relname,
       coalesce(t.n_live_tup, 0), coalesce(t.n_dead_tup, 0), coalesce(t.n_mod_since_analyze, 0),
       coalesce(extract(epoch FROM pg_catalog.now() - greatest(t.last_autovacuum, t.last_vacuum)), -1)::float8,
       coalesce(t.seq_scan, 0), coalesce(t.seq_tup_read, 0), coalesce(t.idx_scan, 0), coalesce(t.idx_tup_fetch, 0),
       coalesce(t.n_tup_ins, 0), coalesce(t.n_tup_upd, 0), coalesce(t.n_tup_hot_upd, 0), coalesce(t.n_tup_del, 0),
       coalesce(t.vacuum_count, 0), coalesce(t.autovacuum_count, 0), coalesce(t.analyze_count, 0), coalesce(t.autoanalyze_count, 0),
       coalesce(io.heap_blks_read, 0), coalesce(io.heap_blks_hit, 0), coalesce(io.idx_blks_read, 0), coalesce(io.idx_blks_hit, 0)
FROM pg_catalog.pg_stat_user_tables t
LEFT JOIN pg_catalog.pg_statio_user_tables io ON io.relid = t.relid
WHERE $1::oid[] IS NULL OR t.relid = ANY($1)
