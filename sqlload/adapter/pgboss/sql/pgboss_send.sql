/* pgqtune pgboss send */
-- pg-boss v10's insert shape: through the partitioned parent, so the row is
-- routed to the queue's LIST partition and the deferred foreign key to
-- {schema}.queue is checked at commit, as for every send an app makes.
INSERT INTO {schema}.job (name, data, priority, start_after, retry_limit)
SELECT n, d::jsonb, p, coalesce(s, now()), $5
  FROM unnest($1::text[], $2::text[], $3::int[], $4::timestamptz[]) AS t(n, d, p, s)
