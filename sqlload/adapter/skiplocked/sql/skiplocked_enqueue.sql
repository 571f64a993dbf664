/* pgqtune skiplocked enqueue */
-- One statement per batch: arrays in, rows out (the multi-row insert method).
-- A NULL run_at means "now" (the column default).
INSERT INTO {schema}.job (queue, priority, run_at, payload, max_attempts)
SELECT q, p, coalesce(r, now()), d, $5
  FROM unnest($1::text[], $2::smallint[], $3::timestamptz[], $4::jsonb[]) AS t(q, p, r, d)
