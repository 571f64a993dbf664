/* pgqtune pgmq extension delete */
SELECT count(*) FROM pgmq.delete($1::text, $2::bigint[])
