package runrec

// StatementRole is the sampler's decision about what one pg_stat_statements
// entry does for a queue: claim, enqueue, complete, or one of the
// statements that look like a claim but are not (a deferred foreign-key
// check, a library's lock of its bookkeeping rows, a stats query). It is
// made once, by the sampler, and recorded in run.json; analyze and
// recommendations read it and never re-derive it from SQL text.
type StatementRole struct {
	QueryID int64 `json:"queryid"`
	// Role is a libraries.Role ("claim", "enqueue", "complete", "fail",
	// "fk_check", "lock", "maintenance").
	Role string `json:"role"`
	// Queue is the schema.table the statement serves ("" unknown).
	Queue string `json:"queue,omitempty"`
	// Library is the queue library whose statement shape matched ("" when
	// decided from the SQL's shape alone).
	Library string `json:"library,omitempty"`
	// Text is the normalized statement text.
	Text string `json:"text,omitempty"`
	// How says how the decision was made, for the report's notes.
	How string `json:"how,omitempty"`
}
