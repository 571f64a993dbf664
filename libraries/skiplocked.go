package libraries

// pgqtune's own queue table (migrations/skiplocked), created in the run's
// schema. pgqtune owns it, so every kind of advice applies: index changes,
// fillfactor, partitioning, rewrites of its statements.
var skipLocked = register(&Profile{
	Name:     SkipLocked,
	Owned:    true,
	Versions: "migrations/skiplocked 001",
	Source:   "migrations/skiplocked/001_job.up.sql and sqlload/adapter/skiplocked/sql/skiplocked_*.sql (this repository)",
	Tables: []Table{
		{
			Pattern: "*.job", Jobs: true,
			UpdatedColumns: []string{"state", "attempts", "started_at", "finished_at", "last_error", "run_at"},
			HOT:            false,
			HOTWhy:         "claim and completion change state, which job_claim_idx's predicate reads",
		},
		{Pattern: "*.job_archive"},
	},
	Indexes: []Index{
		{Table: "*.job", Name: "job_pkey", Columns: []string{"id"}, Unique: true},
		{Table: "*.job", Name: "job_claim_idx", Columns: []string{"queue", "priority", "run_at"}, Where: "state = 'pending'", Claim: true},
		{Table: "*.job_archive", Name: "job_archive_pkey", Columns: []string{"id"}, Unique: true},
	},
	Does: []Feature{FeatureBatchFetch, FeatureBatchInsert, FeatureSkipLocked},
	Knobs: []Knob{
		{Name: "batch", Where: "scenario YAML / pgqtune run --batch", Default: "", About: "jobs one claim locks"},
		{Name: "consumers", Where: "scenario YAML / pgqtune run --consumers", Default: "", About: "concurrent workers"},
	},
})
