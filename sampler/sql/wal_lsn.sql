/* pgqtune */
-- The WAL position as a byte count: the insert position on a primary, the
-- replay position on a standby.
SELECT CASE WHEN pg_catalog.pg_is_in_recovery()
            THEN coalesce(pg_catalog.pg_last_wal_replay_lsn(), '0/0'::pg_lsn) - '0/0'::pg_lsn
            ELSE pg_catalog.pg_current_wal_lsn() - '0/0'::pg_lsn END::bigint
