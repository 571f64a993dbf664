/* pgqtune pgmq extension send */
-- The real extension's batch send; one call per distinct delay (seconds).
SELECT count(*) FROM pgmq.send_batch($1::text, $2::jsonb[], $3::integer)
