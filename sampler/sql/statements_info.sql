/* pgqtune */
-- When pg_stat_statements was last reset (extension 1.9+): a change means
-- every entry restarted from zero.
SELECT coalesce(i.stats_reset, 'epoch'::timestamptz), i.dealloc
FROM {{pgss}}.pg_stat_statements_info i
