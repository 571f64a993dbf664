/* pgqtune */
-- The oldest waiting job's age when the backlog is over the count cap:
-- needs an index leading with the time column under the pending predicate.
SELECT coalesce(extract(epoch FROM pg_catalog.now() - q.{{time}}), -1)::float8
FROM {{table}} q WHERE {{pending}} ORDER BY q.{{time}} LIMIT 1
