/* pgqtune pgboss pending */
-- End-of-run integrity listing: created, retry and active jobs of the
-- run's queues.
SELECT (data->>'seq')::bigint FROM {schema}.job WHERE name = ANY($1) AND state < 'completed'
