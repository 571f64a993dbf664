/* pgqtune pgmq send */
-- pgmq.send_batch's statement: one INSERT per batch, arrays in. vt is when
-- the message first becomes readable: now plus its delay (seconds), on the
-- server's clock as pgmq does, so a client with a skewed clock cannot make
-- messages visible early or late.
INSERT INTO {q} (vt, message)
SELECT clock_timestamp() + make_interval(secs => d), m
  FROM unnest($1::jsonb[], $2::float8[]) AS t(m, d)
