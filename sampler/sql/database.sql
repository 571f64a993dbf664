/* pgqtune */
-- One row: pg_stat_database for the database the sampler is connected to.
-- pg_stat_database is keyed by datid; no index needed (one row per database).
SELECT d.xact_commit, d.xact_rollback, d.blks_read, d.blks_hit,
       d.tup_returned, d.tup_fetched, d.tup_inserted, d.tup_updated, d.tup_deleted,
       d.temp_files, d.temp_bytes, d.deadlocks, d.conflicts,
       d.blk_read_time, d.blk_write_time, d.numbackends,
       coalesce(d.stats_reset, 'epoch'::timestamptz) AS stats_reset
FROM pg_catalog.pg_stat_database d
WHERE d.datname = pg_catalog.current_database()
