package libraries

// good_job (Rails) keeps jobs in good_jobs and, like Que, locks them with
// advisory locks; LISTEN/NOTIFY wakes its executors. Finishing sets
// finished_at, which most of its partial indexes read: not HOT.
var goodJob = register(&Profile{
	Name:     GoodJob,
	Versions: "3.x and 4.x",
	Source:   "bensheldon/good_job lib/generators/good_job/templates/install/migrations/create_good_jobs.rb.erb and its README (configuration)",
	Tables: []Table{
		{
			Pattern: "*.good_jobs", Jobs: true,
			UpdatedColumns: []string{"performed_at", "finished_at", "error", "executions_count", "locked_by_id", "locked_at", "scheduled_at"},
			HOT:            false,
			HOTWhy:         "finished_at and locked_by_id are in the predicates of the candidate-lookup indexes, so claiming and finishing a job are never HOT",
		},
		{Pattern: "*.good_job_executions"},
		{Pattern: "*.good_job_processes"},
		{Pattern: "*.good_job_batches"},
		{Pattern: "*.good_job_settings"},
	},
	Indexes: []Index{
		{Table: "*.good_jobs", Name: "good_jobs_pkey", Columns: []string{"id"}, Unique: true},
		{Table: "*.good_jobs", Name: "index_good_jobs_on_scheduled_at", Columns: []string{"scheduled_at"}, Where: "finished_at IS NULL", Optional: true, Since: "varies by good_job version"},
		{Table: "*.good_jobs", Name: "index_good_jobs_on_queue_name_and_scheduled_at", Columns: []string{"queue_name", "scheduled_at"}, Where: "finished_at IS NULL", Optional: true, Since: "varies by good_job version"},
		{Table: "*.good_jobs", Name: "index_good_job_jobs_for_candidate_lookup", Columns: []string{"priority ASC NULLS LAST", "created_at"}, Where: "finished_at IS NULL", Claim: true, Optional: true, Since: "varies by good_job version"},
		{Table: "*.good_jobs", Name: "index_good_jobs_on_priority_scheduled_at_unfinished_unlocked", Columns: []string{"priority ASC NULLS LAST", "scheduled_at"}, Where: "finished_at IS NULL AND locked_by_id IS NULL", Claim: true, Optional: true, Since: "varies by good_job version"},
		{Table: "*.good_jobs", Name: "index_good_jobs_*", Columns: nil, Optional: true, Since: "varies by good_job version"},
	},
	Does: []Feature{FeatureListenNotify, FeatureCleanup},
	Knobs: []Knob{
		{Name: "max_threads", Where: "config.good_job.max_threads (GOOD_JOB_MAX_THREADS)", Default: "5", About: "executor threads per process"},
		{Name: "poll_interval", Where: "config.good_job.poll_interval (GOOD_JOB_POLL_INTERVAL)", Default: "10 s (1 s in development)", About: "seconds between polls besides NOTIFY"},
		{Name: "cleanup_preserved_jobs_before_seconds_ago", Where: "config.good_job.cleanup_preserved_jobs_before_seconds_ago", Default: "1209600 (14 days)", About: "how long finished jobs are kept before cleanup deletes them"},
	},
	Upgrade:   "good_job's Rails migrations (rails g good_job:update) own good_jobs and its indexes",
	Retention: "config.good_job.cleanup_preserved_jobs_before_seconds_ago (and preserve_job_records = false deletes finished jobs at once)",
})
