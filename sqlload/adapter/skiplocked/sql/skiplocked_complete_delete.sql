/* pgqtune skiplocked complete delete */
-- By primary key; only rows still active, so a retried call is a no-op.
DELETE FROM {schema}.job WHERE id = ANY($1) AND state = 'active'
