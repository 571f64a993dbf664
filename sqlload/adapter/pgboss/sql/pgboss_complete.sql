/* pgqtune pgboss complete */
-- pg-boss v10's completeJobs: only active jobs change, so a repeated call
-- after an unknown outcome changes nothing.
UPDATE {schema}.job
   SET completed_on = now(), state = 'completed'
 WHERE name = $1
   AND id IN (SELECT unnest($2::uuid[]))
   AND state = 'active'
