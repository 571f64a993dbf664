package libraries

// Que 1.x/2.x keeps jobs in public.que_jobs and locks them with advisory
// locks taken by its lockers, which are woken through LISTEN/NOTIFY
// (que_job_notify). Finishing a job sets finished_at (or expired_at), which
// the poll index's predicate reads, and a retry moves run_at, a key of
// it: those updates cannot be HOT. Que's migration sets fillfactor 90 on
// the table itself.
var que = register(&Profile{
	Name:     Que,
	Versions: "1.x and 2.x (migrations 4-7)",
	Source:   "que-rb/que lib/que/migrations/*/up.sql (que_jobs, que_poll_idx, que_poll_idx_with_job_schema_version, que_job_notify) and its README",
	Tables: []Table{
		{
			Pattern: "*.que_jobs", Jobs: true,
			UpdatedColumns: []string{"error_count", "run_at", "last_error_message", "last_error_backtrace", "finished_at", "expired_at"},
			HOT:            false,
			HOTWhy:         "finishing or expiring a job sets finished_at / expired_at, which the poll index's predicate reads, and a retry moves run_at, one of its keys",
		},
		{Pattern: "*.que_lockers"},
		{Pattern: "*.que_values"},
	},
	Indexes: []Index{
		{Table: "*.que_jobs", Name: "que_jobs_pkey", Columns: []string{"id"}, Unique: true},
		{Table: "*.que_jobs", Name: "que_poll_idx", Columns: []string{"queue", "priority", "run_at", "id"}, Where: "finished_at IS NULL AND expired_at IS NULL", Claim: true, Optional: true, Since: "1.x"},
		{Table: "*.que_jobs", Name: "que_poll_idx_with_job_schema_version", Columns: []string{"job_schema_version", "queue", "priority", "run_at", "id"}, Where: "finished_at IS NULL AND expired_at IS NULL", Claim: true, Optional: true, Since: "2.x (migration 5)"},
		{Table: "*.que_jobs", Name: "que_jobs_data_gin_idx", Columns: []string{"data jsonb_path_ops"}, Method: "gin"},
		{Table: "*.que_jobs", Name: "que_jobs_args_gin_idx", Columns: []string{"args jsonb_path_ops"}, Method: "gin"},
		{Table: "*.que_jobs", Name: "que_jobs_kwargs_gin_idx", Columns: []string{"kwargs jsonb_path_ops"}, Method: "gin", Optional: true, Since: "2.x (migration 6)"},
	},
	Does: []Feature{FeatureListenNotify, FeatureBatchFetch, FeatureCleanup},
	Knobs: []Knob{
		{Name: "worker_count", Where: "que --worker-count (Que::Locker worker_count)", Default: "6", About: "workers of one locker process"},
		{Name: "poll_interval", Where: "que --poll-interval", Default: "5 s", About: "how often a locker polls besides NOTIFY wake-ups"},
		{Name: "maximum_buffer_size", Where: "que --maximum-buffer-size", Default: "8", About: "jobs a locker locks ahead of its workers"},
	},
	Upgrade:   "Que's migrations (Que.migrate!) own que_jobs and its indexes and may replace them on upgrade",
	Retention: "finish jobs with destroy (delete) instead of finish, or delete finished_at rows on a schedule",
})
