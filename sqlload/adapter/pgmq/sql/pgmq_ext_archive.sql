/* pgqtune pgmq extension archive */
SELECT count(*) FROM pgmq.archive($1::text, $2::bigint[])
