package libraries

// pg-boss v10 keeps every job in pgboss.job, LIST-partitioned by queue
// name: pgboss.create_queue makes one partition per queue, named "j" and the
// hex sha224 of the queue name, and creates that partition's own primary
// key, foreign keys and five indexes (named after the partition, "_i1" to
// "_i5"). The parent holds only the partitioned primary key. Finished jobs
// stay in the job table until maintenance moves them to pgboss.archive,
// which it later deletes.
//
// v11 and later add pgboss.job_common, the DEFAULT partition that holds
// every queue created without its own partition (createQueue's partition
// option); it carries the same index set, named "job_common_i1" and on.
// The fetch index's predicate grew there ("AND NOT blocked" in later
// releases), so pgqtune checks job_common's indexes by name and key columns
// only and renders the v10 predicate.
var pgBoss = register(&Profile{
	Name:     PGBoss,
	Versions: "10.x (schema version 24) in detail; 11+ job_common partition by name and keys",
	Source: "pg-boss 10.4.2 src/plans.js (create, create_queue, fetchNextJob, completeJobs, failJobs, archive) and " +
		"src/attorney.js (option defaults); pg-boss docs/api (constructor, queues, workers) and docs/sql/job-table.md",
	Tables: []Table{
		{
			Pattern: "pgboss.job", Jobs: true, Partitioned: true,
			UpdatedColumns: pgBossUpdated,
			HOT:            false,
			HOTWhy:         pgBossHOTWhy,
		},
		{
			Pattern: "pgboss.job_common", Jobs: true, Parent: "pgboss.job",
			UpdatedColumns: pgBossUpdated, HOT: false, HOTWhy: pgBossHOTWhy,
		},
		{Pattern: "pgboss.archive"},
		{Pattern: "pgboss.queue", UpdatedColumns: []string{"policy", "retry_limit", "retry_delay", "retry_backoff", "expire_seconds", "retention_minutes", "dead_letter", "updated_on"}, HOT: true},
		{Pattern: "pgboss.schedule"},
		{Pattern: "pgboss.subscription"},
		{Pattern: "pgboss.version", UpdatedColumns: []string{"maintained_on", "cron_on", "monitored_on"}, HOT: true},
		// Per-queue partitions last: "j*" also matches "job" and
		// "job_common", which the entries above claim first.
		{
			Pattern: "pgboss.j*", Jobs: true, Parent: "pgboss.job",
			UpdatedColumns: pgBossUpdated, HOT: false, HOTWhy: pgBossHOTWhy,
		},
	},
	Indexes: []Index{
		{Table: "pgboss.job", Name: "job_pkey", Columns: []string{"name", "id"}, Unique: true},

		{Table: "pgboss.j*", Name: "j*_pkey", Columns: []string{"name", "id"}, Unique: true},
		// _i1.._i4 enforce the queue policies (short, singleton, stately,
		// throttling): dropping one breaks pg-boss's de-duplication.
		{Table: "pgboss.j*", Name: "j*_i1", Columns: []string{"name", "COALESCE(singleton_key, '')"}, Where: "state = 'created' AND policy = 'short'", Unique: true},
		{Table: "pgboss.j*", Name: "j*_i2", Columns: []string{"name", "COALESCE(singleton_key, '')"}, Where: "state = 'active' AND policy = 'singleton'", Unique: true},
		{Table: "pgboss.j*", Name: "j*_i3", Columns: []string{"name", "state", "COALESCE(singleton_key, '')"}, Where: "state <= 'active' AND policy = 'stately'", Unique: true},
		{Table: "pgboss.j*", Name: "j*_i4", Columns: []string{"name", "singleton_on", "COALESCE(singleton_key, '')"}, Where: "state <> 'cancelled' AND singleton_on IS NOT NULL", Unique: true},
		// _i5 is the fetch index: fetchNextJob reads
		// name = $1 AND state < 'active' AND start_after < now().
		{Table: "pgboss.j*", Name: "j*_i5", Columns: []string{"name", "start_after"}, Include: []string{"priority", "created_on", "id"}, Where: "state < 'active'", Claim: true},

		{Table: "pgboss.job_common", Name: "job_common_pkey", Columns: []string{"name", "id"}, Unique: true},
		{Table: "pgboss.job_common", Name: "job_common_i5", Columns: []string{"name", "start_after"}, Where: "state < 'active'", Claim: true},

		{Table: "pgboss.archive", Name: "archive_pkey", Columns: []string{"name", "id"}, Unique: true},
		{Table: "pgboss.archive", Name: "archive_i1", Columns: []string{"archived_on"}},
		{Table: "pgboss.queue", Name: "queue_pkey", Columns: []string{"name"}, Unique: true},
		{Table: "pgboss.version", Name: "version_pkey", Columns: []string{"version"}, Unique: true},
		{Table: "pgboss.schedule", Name: "schedule_pkey", Columns: []string{"name"}, Unique: true},
		{Table: "pgboss.subscription", Name: "subscription_pkey", Columns: []string{"event", "name"}, Unique: true},
	},
	// pg-boss v10 polls: its in-process "notify" only wakes workers of the
	// same Node process after a send(), there is no LISTEN/NOTIFY.
	Does: []Feature{FeatureBatchFetch, FeatureBatchInsert, FeatureCleanup, FeaturePartitioning, FeatureSkipLocked},
	Knobs: []Knob{
		{Name: "batchSize", Where: "boss.work(name, { batchSize }, handler)", Default: "1",
			About: "jobs one fetch claims (LIMIT of the fetch statement); the handler then gets an array"},
		{Name: "pollingIntervalSeconds", Where: "boss.work(name, { pollingIntervalSeconds }, handler)", Default: "2",
			About: "seconds between fetches of an idle worker (minimum 0.5)"},
		{Name: "archiveCompletedAfterSeconds", Where: "new PgBoss({ archiveCompletedAfterSeconds })", Default: "43200 (12 hours)",
			About: "how long completed jobs stay in their queue's partition before maintenance moves them to pgboss.archive"},
		{Name: "archiveFailedAfterSeconds", Where: "new PgBoss({ archiveFailedAfterSeconds })", Default: "archiveCompletedAfterSeconds",
			About: "the same for failed jobs"},
		{Name: "deleteAfterSeconds", Where: "new PgBoss({ deleteAfterSeconds | deleteAfterMinutes | deleteAfterHours | deleteAfterDays })", Default: "7 days",
			About: "how long archived jobs stay in pgboss.archive before maintenance deletes them"},
		{Name: "retentionMinutes", Where: "boss.createQueue(name, { retentionMinutes }) or new PgBoss({ retentionDays | retentionMinutes ... })", Default: "14 days",
			About: "keep_until of a job that never starts: how long an unstarted job may wait before it is archived"},
		{Name: "maintenanceIntervalSeconds", Where: "new PgBoss({ maintenanceIntervalSeconds })", Default: "120",
			About: "how often maintenance archives, deletes and expires jobs"},
		{Name: "expireInSeconds", Where: "boss.createQueue(name, { expireInSeconds }) or boss.send(..., { expireInSeconds })", Default: "900",
			About: "how long a job may stay active before maintenance fails it"},
	},
	Upgrade: "pg-boss creates each new queue's partition with its own fixed index set, so an index added on one partition is not on the partitions of queues created later; " +
		"deleteQueue drops the partition with it, and a major upgrade that rebuilds the job table (v11 moves queues without their own partition into job_common) does not carry it over",
	Retention: "archiveCompletedAfterSeconds / archiveFailedAfterSeconds (new PgBoss) move finished jobs out of the queue's partition; deleteAfter* empties pgboss.archive; " +
		"each queue already has its own partition",
})

// pgBossUpdated are the job columns pg-boss's fetch, complete, fail,
// cancel, resume and retry statements change. Failing a job deletes it and
// inserts it again (state retry or failed).
var pgBossUpdated = []string{"state", "started_on", "retry_count", "completed_on", "output", "start_after", "keep_until"}

const pgBossHOTWhy = "every state change rewrites state, which the fetch index (_i5) and the policy indexes (_i1.._i4) have in their predicates or keys, so no pg-boss job update can be HOT"
