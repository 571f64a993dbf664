/* pgqtune pgboss stats */
SELECT count(*) FILTER (WHERE state < 'active' AND start_after < now()),
       count(*) FILTER (WHERE state < 'active' AND start_after >= now()),
       count(*) FILTER (WHERE state = 'active'),
       coalesce(extract(epoch FROM now() - min(start_after) FILTER (WHERE state < 'active' AND start_after < now())), 0)::float8
  FROM {schema}.job
 WHERE name = ANY($1) AND state < 'completed'
