/* pgqtune river lookup */
-- Settles an insert whose commit outcome is unknown: which of the driver's
-- seqs exist in any state (completed rows stay until River's retention
-- period ends). $1 holds one {"seq": N} document per seq, so the
-- containment test can use River's own river_job_args_index (GIN on args).
SELECT (args->>'seq')::bigint
  FROM {schema}.river_job
 WHERE kind = 'pgqtune' AND args @> ANY($1::jsonb[])
