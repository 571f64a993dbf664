/* pgqtune */
-- Checkpoint and background-writer counters up to Postgres 16 (one row).
SELECT b.checkpoints_timed, b.checkpoints_req, b.buffers_checkpoint, b.buffers_backend, b.buffers_clean,
       b.checkpoint_write_time, b.checkpoint_sync_time, coalesce(b.stats_reset, 'epoch'::timestamptz)
FROM pg_catalog.pg_stat_bgwriter b
