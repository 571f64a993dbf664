package libraries

func init() { classifiers[SkipLocked] = classifySkipLocked }

// classifySkipLocked knows pgqtune's own queue table (migrations/, the
// skiplocked adapter): UPDATE job ... FROM (SELECT id FROM job WHERE
// queue = $1 AND state = 'pending' ... FOR UPDATE SKIP LOCKED) claims,
// INSERT INTO job enqueues, UPDATE job SET state, finished_at WHERE id =
// ANY($n) completes (setting last_error: fails), DELETE by id completes and
// a DELETE by age is retention. Its shapes are the generic ones on a table
// named job.
func classifySkipLocked(text string) Role {
	r, _ := classifyShape(shapeOf(text), func(rel string) bool { return bare(rel) == "job" })
	return r
}
