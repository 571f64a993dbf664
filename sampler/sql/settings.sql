/* pgqtune */
-- The settings that matter to a queue's throughput, as SHOW prints them
-- (pg_settings is generated from the GUC table; no index).
SELECT s.name, pg_catalog.current_setting(s.name)
FROM pg_catalog.pg_settings s
WHERE s.name LIKE ANY (ARRAY[
        'autovacuum%', 'vacuum_%', 'checkpoint_%', 'wal_%', 'max_wal_size', 'min_wal_size',
        'synchronous_commit', 'synchronous_standby_names', 'commit_delay', 'commit_siblings', 'fsync',
        'full_page_writes', 'shared_buffers', 'work_mem', 'maintenance_work_mem', 'effective_cache_size',
        'max_connections', 'superuser_reserved_connections', 'max_locks_per_transaction',
        'max_prepared_transactions', 'deadlock_timeout', 'lock_timeout', 'statement_timeout',
        'idle_in_transaction_session_timeout', 'idle_session_timeout', 'old_snapshot_threshold',
        'hot_standby_feedback', 'default_transaction_isolation', 'random_page_cost', 'seq_page_cost',
        'effective_io_concurrency', 'bgwriter_%', 'max_worker_processes', 'max_parallel_%', 'jit',
        'track_io_timing', 'track_wal_io_timing', 'track_activities', 'track_counts', 'huge_pages',
        'shared_preload_libraries', 'pg_stat_statements.%', 'max_replication_slots',
        'max_slot_wal_keep_size', 'stats_fetch_consistency', 'server_version', 'block_size'])
ORDER BY s.name
