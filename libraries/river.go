package libraries

// River keeps every job in river_job (schema configurable). Its fetch
// (JobGetAvailable) locks available jobs of one queue in
// (priority, scheduled_at, id) order and sets them running; completion,
// retry and discard set state, finalized_at and errors. state leads the
// prioritized fetching index, so no job update can be HOT. River's leader
// runs the JobCleaner (deletes finalized jobs after their retention) and
// the Reindexer (REINDEX CONCURRENTLY of its indexes on a schedule).
var river = register(&Profile{
	Name:     River,
	Versions: "0.x (migration line main, 002-006)",
	Source: "riverqueue/river riverdriver/riverpgxv5/migration/main/*.up.sql (river_job, river_leader, river_queue and their indexes), client.go (Config defaults), " +
		"rivershared/riversharedmaintenance (retention defaults), internal/maintenance/reindexer.go",
	Tables: []Table{
		{
			Pattern: "*.river_job", Jobs: true,
			UpdatedColumns: []string{"state", "attempt", "attempted_at", "attempted_by", "errors", "finalized_at", "scheduled_at", "metadata"},
			HOT:            false,
			HOTWhy:         "every fetch and completion changes state, the first key of river_job_prioritized_fetching_index (and finalized_at, in river_job_state_and_finalized_at_index), so no River job update can be HOT",
		},
		{Pattern: "*.river_leader", UpdatedColumns: []string{"expires_at", "elected_at"}, HOT: true},
		{Pattern: "*.river_queue", UpdatedColumns: []string{"paused_at", "updated_at", "metadata"}, HOT: true},
		{Pattern: "*.river_client"},
		{Pattern: "*.river_client_queue"},
		{Pattern: "*.river_migration"},
	},
	Indexes: []Index{
		{Table: "*.river_job", Name: "river_job_pkey", Columns: []string{"id"}, Unique: true},
		{Table: "*.river_job", Name: "river_job_prioritized_fetching_index", Columns: []string{"state", "queue", "priority", "scheduled_at", "id"}, Claim: true},
		{Table: "*.river_job", Name: "river_job_state_and_finalized_at_index", Columns: []string{"state", "finalized_at"}, Where: "finalized_at IS NOT NULL"},
		{Table: "*.river_job", Name: "river_job_kind", Columns: []string{"kind"}},
		{Table: "*.river_job", Name: "river_job_args_index", Columns: []string{"args"}, Method: "gin"},
		{Table: "*.river_job", Name: "river_job_metadata_index", Columns: []string{"metadata"}, Method: "gin"},
		{Table: "*.river_job", Name: "river_job_unique_idx", Columns: []string{"unique_key"}, Unique: true,
			Where: "unique_key IS NOT NULL AND unique_states IS NOT NULL AND river_job_state_in_bitmask(unique_states, state)", Optional: true, Since: "migration 006"},
		{Table: "*.river_queue", Name: "river_queue_pkey", Columns: []string{"name"}, Unique: true},
		{Table: "*.river_leader", Name: "river_leader_pkey", Columns: []string{"name"}, Unique: true},
	},
	Does: []Feature{FeatureListenNotify, FeatureBatchFetch, FeatureBatchInsert, FeatureCleanup, FeatureReindex, FeatureSkipLocked},
	Knobs: []Knob{
		{Name: "MaxWorkers", Where: "river.Config{Queues: map[string]river.QueueConfig{name: {MaxWorkers: n}}}", Default: "(required per queue)",
			About: "jobs of a queue one client works at once; a fetch locks up to the free slots"},
		{Name: "FetchPollInterval", Where: "river.Config.FetchPollInterval", Default: "1s",
			About: "how often a client fetches when no LISTEN notification arrived"},
		{Name: "FetchCooldown", Where: "river.Config.FetchCooldown", Default: "100ms",
			About: "minimum time between two fetches of one producer"},
		{Name: "CompletedJobRetentionPeriod", Where: "river.Config.CompletedJobRetentionPeriod (JobCleaner)", Default: "24h",
			About: "how long completed jobs stay in river_job before the JobCleaner deletes them"},
		{Name: "CancelledJobRetentionPeriod", Where: "river.Config.CancelledJobRetentionPeriod (JobCleaner)", Default: "24h",
			About: "the same for cancelled jobs"},
		{Name: "DiscardedJobRetentionPeriod", Where: "river.Config.DiscardedJobRetentionPeriod (JobCleaner)", Default: "168h (7 days)",
			About: "the same for discarded jobs"},
		{Name: "ReindexerSchedule", Where: "river.Config.ReindexerSchedule (ReindexerIndexNames lists the indexes)", Default: "daily at midnight UTC",
			About: "when the leader runs REINDEX CONCURRENTLY on River's indexes"},
		{Name: "PollOnly", Where: "river.Config.PollOnly", Default: "false",
			About: "turns LISTEN/NOTIFY off (for poolers in transaction mode): fetches then wait for FetchPollInterval"},
	},
	Upgrade:   "River's migrations (river migrate-up) own river_job and its indexes; its Reindexer rebuilds only the indexes it lists, and a later migration may replace the table's indexes without knowing about yours",
	Retention: "river.Config CompletedJobRetentionPeriod / CancelledJobRetentionPeriod / DiscardedJobRetentionPeriod (the JobCleaner deletes finalized jobs after them)",
})
