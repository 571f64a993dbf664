/* pgqtune skiplocked expire */
-- pg-boss's expiration: jobs claimed more than $1 seconds ago and never
-- finished (their worker died, or the reply to the claim's commit was lost)
-- go back to pending, marked so the next claim counts a redelivery. It
-- reads the table's active rows without an index of its own, as pg-boss's
-- maintenance does: on a table that keeps completed rows (completion:
-- update) its cost grows with the table, which is part of what is measured.
UPDATE {schema}.job
   SET state = 'pending', run_at = now(), last_error = 'expired'
 WHERE state = 'active' AND started_at < now() - make_interval(secs => $1)
