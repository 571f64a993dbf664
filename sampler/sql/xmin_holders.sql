/* pgqtune */
-- Everything that holds back the cleanup horizon, typed by cause, oldest
-- first: backends (by state), replication slots (xmin and catalog_xmin),
-- prepared transactions and standbys' hot_standby_feedback. All of these are
-- read from shared memory; no index. Backends are limited to the oldest
-- few: a busy workload has many sessions with a current, harmless xmin.
--
-- $1 is true from Postgres 14 on, where the horizon for this database's
-- tables counts only this database's backends: a snapshot in another
-- database (a report running there) no longer holds back the pruning and
-- vacuuming of the queue's tables. A backend there that has a
-- transaction id still does, through every snapshot taken here while it
-- runs, so its xid (not its xmin) counts. Up to 13 on-access pruning used
-- one horizon for the whole cluster, so every backend counts.
(SELECT b.kind, b.pid, b.app, b.state, b.query, pg_catalog.age(b.held)::bigint, b.xact_s, b.idle_s
 FROM (SELECT CASE WHEN a.state = 'active' THEN 'backend_active'
                   WHEN a.state LIKE 'idle in transaction%' THEN 'backend_idle_in_transaction'
                   ELSE 'backend_other' END AS kind,
              a.pid, coalesce(a.application_name, '') AS app, coalesce(a.state, '') AS state,
              coalesce(left(a.query, 2000), '') AS query,
              CASE WHEN $1::bool AND a.datid IS DISTINCT FROM
                        (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
                   THEN a.backend_xid
                   ELSE coalesce(a.backend_xmin, a.backend_xid) END AS held,
              coalesce(extract(epoch FROM pg_catalog.clock_timestamp() - a.xact_start), 0)::float8 AS xact_s,
              coalesce(extract(epoch FROM pg_catalog.clock_timestamp() - a.state_change), 0)::float8 AS idle_s
       FROM pg_catalog.pg_stat_activity a
       WHERE a.pid <> pg_catalog.pg_backend_pid() AND a.backend_type <> 'walsender') b
 WHERE b.held IS NOT NULL
 ORDER BY pg_catalog.age(b.held) DESC
 LIMIT 5)
UNION ALL
SELECT 'replication_slot', coalesce(s.active_pid, 0), s.slot_name, CASE WHEN s.active THEN 'active' ELSE 'inactive' END,
       s.slot_type, pg_catalog.age(s.xmin)::bigint, 0::float8, 0::float8
FROM pg_catalog.pg_replication_slots s WHERE s.xmin IS NOT NULL
UNION ALL
SELECT 'replication_slot_catalog', coalesce(s.active_pid, 0), s.slot_name, CASE WHEN s.active THEN 'active' ELSE 'inactive' END,
       s.slot_type, pg_catalog.age(s.catalog_xmin)::bigint, 0::float8, 0::float8
FROM pg_catalog.pg_replication_slots s WHERE s.catalog_xmin IS NOT NULL
UNION ALL
SELECT 'prepared_transaction', 0, p.gid, 'prepared', 'database ' || p.database || ', owner ' || p.owner,
       pg_catalog.age(p.transaction)::bigint,
       extract(epoch FROM pg_catalog.clock_timestamp() - p.prepared)::float8, 0::float8
FROM pg_catalog.pg_prepared_xacts p
UNION ALL
SELECT 'standby_feedback', r.pid, coalesce(r.application_name, ''), coalesce(r.state, ''),
       coalesce(host(r.client_addr), 'local'), pg_catalog.age(r.backend_xmin)::bigint,
       coalesce(extract(epoch FROM pg_catalog.clock_timestamp() - r.backend_start), 0)::float8, 0::float8
FROM pg_catalog.pg_stat_replication r WHERE r.backend_xmin IS NOT NULL
