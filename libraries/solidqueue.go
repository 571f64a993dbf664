package libraries

// solid_queue (Rails 8) keeps job records in solid_queue_jobs and the
// runnable ones as rows of solid_queue_ready_executions, which its workers
// claim with FOR UPDATE SKIP LOCKED and delete (moving them to
// solid_queue_claimed_executions). The ready rows are inserted and deleted,
// never updated.
var solidQueue = register(&Profile{
	Name:     SolidQueue,
	Versions: "1.x",
	Source:   "rails/solid_queue lib/generators/solid_queue/install/templates/db/queue_schema.rb and its README (configuration)",
	Tables: []Table{
		{Pattern: "*.solid_queue_ready_executions", Jobs: true, HOT: true, HOTWhy: "ready executions are inserted and deleted, not updated"},
		{Pattern: "*.solid_queue_jobs", UpdatedColumns: []string{"finished_at"}, HOT: false, HOTWhy: "finished_at is a key of index_solid_queue_jobs_on_finished_at and index_solid_queue_jobs_for_filtering"},
		{Pattern: "*.solid_queue_claimed_executions"},
		{Pattern: "*.solid_queue_scheduled_executions"},
		{Pattern: "*.solid_queue_blocked_executions"},
		{Pattern: "*.solid_queue_failed_executions"},
		{Pattern: "*.solid_queue_processes"},
		{Pattern: "*.solid_queue_semaphores"},
		{Pattern: "*.solid_queue_pauses"},
		{Pattern: "*.solid_queue_recurring_executions"},
		{Pattern: "*.solid_queue_recurring_tasks"},
	},
	Indexes: []Index{
		{Table: "*.solid_queue_ready_executions", Name: "index_solid_queue_ready_executions_on_job_id", Columns: []string{"job_id"}, Unique: true},
		{Table: "*.solid_queue_ready_executions", Name: "index_solid_queue_poll_all", Columns: []string{"priority", "job_id"}, Claim: true},
		{Table: "*.solid_queue_ready_executions", Name: "index_solid_queue_poll_by_queue", Columns: []string{"queue_name", "priority", "job_id"}, Claim: true},
		{Table: "*.solid_queue_ready_executions", Name: "solid_queue_ready_executions_pkey", Columns: []string{"id"}, Unique: true},
		{Table: "*.solid_queue_jobs", Name: "index_solid_queue_jobs_*"},
		{Table: "*.solid_queue_jobs", Name: "solid_queue_jobs_pkey", Columns: []string{"id"}, Unique: true},
	},
	Does: []Feature{FeatureBatchFetch, FeatureCleanup, FeatureSkipLocked},
	Knobs: []Knob{
		{Name: "threads", Where: "config/queue.yml workers: threads", Default: "3", About: "jobs one worker process runs at once"},
		{Name: "polling_interval", Where: "config/queue.yml workers: polling_interval", Default: "0.1 s", About: "seconds between polls of an idle worker"},
		{Name: "batch_size", Where: "config/queue.yml dispatchers: batch_size", Default: "500", About: "scheduled jobs the dispatcher moves to ready per statement"},
		{Name: "clear_finished_jobs_after", Where: "config.solid_queue.clear_finished_jobs_after", Default: "1 day", About: "how long finished jobs stay in solid_queue_jobs"},
	},
	Upgrade:   "solid_queue's schema (db/queue_schema.rb and its upgrade migrations) owns these tables and indexes",
	Retention: "config.solid_queue.clear_finished_jobs_after (finished jobs are cleared by SolidQueue::Job.clear_finished_in_batches)",
})
