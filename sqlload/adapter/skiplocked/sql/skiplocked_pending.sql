/* pgqtune skiplocked pending */
-- End-of-run integrity listing: a sequential scan, once.
SELECT (payload->>'seq')::bigint FROM {schema}.job WHERE state IN ('pending', 'active')
