/* pgqtune pgboss lookup */
SELECT (data->>'seq')::bigint FROM {schema}.job WHERE name = ANY($1) AND (data->>'seq')::bigint = ANY($2)
