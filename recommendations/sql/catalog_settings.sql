/* pgqtune */
-- The settings the rules size against (pg_settings is a view over a function: no index).
SELECT name, setting, coalesce(unit, ''), context, source
  FROM pg_catalog.pg_settings
 WHERE name = ANY($1::text[])
