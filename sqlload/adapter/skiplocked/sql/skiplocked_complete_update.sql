/* pgqtune skiplocked complete update */
-- By primary key; only rows still active, so a retried call is a no-op. The
-- row leaves job_claim_idx's predicate when it was claimed, so this update
-- touches no index entry of the claim index.
UPDATE {schema}.job SET state = 'completed', finished_at = now()
 WHERE id = ANY($1) AND state = 'active'
