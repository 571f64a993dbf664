/* pgqtune reallibs: $1 completed jobs of queue pgqtune, written through
   pg-boss's partitioned parent so they land in the queue's partition, where
   its fetch index <partition>_i5 (WHERE state < 'active') leaves them out. */
INSERT INTO pgboss.job (name, data, state, started_on, completed_on)
SELECT 'pgqtune', jsonb_build_object('i', g), 'completed', now(), now()
FROM generate_series(1, $1::int) g
