/* pgqtune */
-- Checkpoint counters from Postgres 17 (pg_stat_checkpointer) with the
-- background writer's buffers_clean; buffers written by backends moved to
-- pg_stat_io and are not read here. Both views have one row.
SELECT c.num_timed, c.num_requested, c.buffers_written, 0::bigint, b.buffers_clean,
       c.write_time, c.sync_time,
       greatest(coalesce(c.stats_reset, 'epoch'::timestamptz), coalesce(b.stats_reset, 'epoch'::timestamptz))
FROM pg_catalog.pg_stat_checkpointer c, pg_catalog.pg_stat_bgwriter b
