package libraries

// graphile-worker 0.16 keeps its jobs in graphile_worker._private_jobs
// (renamed from jobs by migration 16; the public graphile_worker.jobs is a
// view over it). Its claim reads one of two partial indexes on
// (priority, run_at) whose predicate is the stored generated column
// is_available, computed from locked_at and attempts: locking a job,
// unlocking it and every retry change is_available, so no job update can
// be HOT. A finished job is deleted.
var graphileWorker = register(&Profile{
	Name:     GraphileWorker,
	Versions: "0.16 and 0.17 (migrations 000011-000019); older versions kept the jobs table under its public name",
	Source: "graphile/worker sql/000011.sql (jobs, job_queues, tasks, jobs_main_index, jobs_no_queue_index), sql/000016.sql (the _private_ renames), " +
		"website/docs/config.md (worker preset defaults), website/docs/admin-functions.md (cleanup tasks)",
	Tables: []Table{
		{
			Pattern: "graphile_worker._private_jobs", Jobs: true,
			UpdatedColumns: []string{"locked_at", "locked_by", "attempts", "run_at", "last_error", "updated_at", "key", "revision", "payload", "priority", "max_attempts", "flags", "job_queue_id", "task_id"},
			HOT:            false,
			HOTWhy:         "locked_at and attempts feed the stored generated column is_available, which both claim indexes (jobs_main_index, jobs_no_queue_index) use as their partial predicate, and run_at is a key of both: locking, unlocking and retrying a job are never HOT",
		},
		{
			Pattern:        "graphile_worker._private_job_queues",
			UpdatedColumns: []string{"locked_at", "locked_by"},
			HOT:            true,
			HOTWhy:         "locked_at feeds is_available, which no index of _private_job_queues covers",
		},
		{Pattern: "graphile_worker._private_tasks", HOT: true},
		{Pattern: "graphile_worker._private_known_crontabs", UpdatedColumns: []string{"last_execution"}, HOT: true},
		{Pattern: "graphile_worker.migrations"},
	},
	Indexes: []Index{
		{Table: "graphile_worker._private_jobs", Name: "jobs_pkey", Columns: []string{"id"}, Unique: true},
		{Table: "graphile_worker._private_jobs", Name: "jobs_key_key", Columns: []string{"key"}, Unique: true},
		// The claim: jobs with a named queue read jobs_main_index, jobs
		// without one jobs_no_queue_index.
		{Table: "graphile_worker._private_jobs", Name: "jobs_main_index", Columns: []string{"priority", "run_at"}, Include: []string{"id", "task_id", "job_queue_id"}, Where: "is_available = true", Claim: true},
		{Table: "graphile_worker._private_jobs", Name: "jobs_no_queue_index", Columns: []string{"priority", "run_at"}, Include: []string{"id", "task_id"}, Where: "is_available = true AND job_queue_id IS NULL", Claim: true},
		{Table: "graphile_worker._private_job_queues", Name: "job_queues_pkey", Columns: []string{"id"}, Unique: true},
		{Table: "graphile_worker._private_job_queues", Name: "job_queues_queue_name_key", Columns: []string{"queue_name"}, Unique: true},
		{Table: "graphile_worker._private_tasks", Name: "tasks_pkey", Columns: []string{"id"}, Unique: true},
		{Table: "graphile_worker._private_tasks", Name: "tasks_identifier_key", Columns: []string{"identifier"}, Unique: true},
		{Table: "graphile_worker._private_known_crontabs", Name: "known_crontabs_pkey", Columns: []string{"identifier"}, Unique: true},
	},
	// Jobs are announced with NOTIFY on "jobs:insert" and workers LISTEN;
	// add_jobs inserts many at once. 0.16 claims one job per statement
	// (the local queue batch is 0.17+).
	Does: []Feature{FeatureListenNotify, FeatureBatchInsert, FeatureCleanup, FeatureSkipLocked},
	Knobs: []Knob{
		{Name: "concurrentJobs", Where: "graphile.config preset worker.concurrentJobs (run option concurrency, CLI --jobs)", Default: "1",
			About: "jobs one worker instance runs at once: each running job is a claim and a completion on the pool"},
		{Name: "pollInterval", Where: "graphile.config preset worker.pollInterval (CLI --poll-interval)", Default: "2000 ms",
			About: "how often an idle worker polls besides the LISTEN wake-ups"},
		{Name: "maxPoolSize", Where: "graphile.config preset worker.maxPoolSize", Default: "10",
			About: "connections per worker instance (the docs advise max(10, concurrentJobs + 2))"},
		{Name: "localQueue.size", Where: "graphile.config preset worker.localQueue.size (0.17+)", Default: "off",
			About: "claims a batch of jobs per statement and hands them out locally"},
		{Name: "completeJobBatchDelay", Where: "graphile.config preset worker.completeJobBatchDelay (0.17+)", Default: "off",
			About: "batches job completions into one statement"},
		{Name: "GC_JOB_QUEUES", Where: "graphile-worker --cleanup GC_JOB_QUEUES (or workerUtils.cleanup({ tasks: ['GC_JOB_QUEUES'] }))", Default: "not scheduled",
			About: "deletes job queues no job references from _private_job_queues (also GC_TASK_IDENTIFIERS, DELETE_PERMAFAILED_JOBS)"},
	},
	Upgrade: "graphile-worker's migrations own _private_jobs: a later migration may rebuild the table or its indexes (migration 000011 replaced the jobs table outright), and an index you add is neither created nor kept by them",
	Retention: "graphile-worker deletes a job when it succeeds; permanently failed jobs stay until `graphile-worker --cleanup DELETE_PERMAFAILED_JOBS`, " +
		"and unused queue and task rows until GC_JOB_QUEUES / GC_TASK_IDENTIFIERS",
})
