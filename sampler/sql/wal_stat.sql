/* pgqtune */
-- pg_stat_wal (Postgres 14+): one row.
SELECT w.wal_records, w.wal_fpi, w.wal_bytes::bigint, w.wal_buffers_full, w.wal_write, w.wal_sync,
       w.wal_write_time, w.wal_sync_time, coalesce(w.stats_reset, 'epoch'::timestamptz)
FROM pg_catalog.pg_stat_wal w
