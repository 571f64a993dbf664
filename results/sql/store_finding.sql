-- One finding of a run (the run's old findings are deleted first).
INSERT INTO finding (run_id, id, cause, start_at, end_at, throughput_drop_pct, confidence, summary)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
