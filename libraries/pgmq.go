package libraries

// pgmq 1.x makes two tables per queue: pgmq.q_<queue> (the messages) and
// pgmq.a_<queue> (archived messages), and records each queue in pgmq.meta.
// read() locks the oldest visible messages (vt <= now, in msg_id order)
// and pushes their vt forward, so every read updates vt, which the queue's
// vt index covers: reads are never HOT. Queues may be UNLOGGED
// (create_unlogged) or partitioned by pg_partman (create_partitioned, on
// msg_id or enqueued_at, with its own retention).
var pgmq = register(&Profile{
	Name:     PGMQ,
	Versions: "1.x (checked against 1.5)",
	Source:   "tembo-io/pgmq pgmq-extension/sql/pgmq.sql (create_non_partitioned, create_unlogged, create_partitioned, read, archive, delete, set_vt) and its README / docs",
	Tables: []Table{
		{
			Pattern: "pgmq.q_*", Jobs: true,
			UpdatedColumns: []string{"vt", "read_ct"},
			HOT:            false,
			HOTWhy:         "read() and set_vt() change vt, the key of the queue's vt index, so no message update can be HOT",
		},
		{Pattern: "pgmq.a_*"},
		{Pattern: "pgmq.meta"},
	},
	Indexes: []Index{
		{Table: "pgmq.q_*", Name: "q_*_pkey", Columns: []string{"msg_id"}, Unique: true},
		{Table: "pgmq.q_*", Name: "q_*_vt_idx", Columns: []string{"vt"}, Claim: true},
		{Table: "pgmq.a_*", Name: "a_*_pkey", Columns: []string{"msg_id"}, Unique: true},
		{Table: "pgmq.a_*", Name: "archived_at_idx_*", Columns: []string{"archived_at"}},
	},
	Does: []Feature{FeatureBatchFetch, FeatureBatchInsert, FeatureSkipLocked},
	Knobs: []Knob{
		{Name: "qty", Where: "pgmq.read(queue_name, vt, qty)", Default: "(required argument)",
			About: "messages one read() locks and returns (the LIMIT of its claim)"},
		{Name: "vt", Where: "pgmq.read(queue_name, vt, qty)", Default: "(required argument, seconds)",
			About: "visibility timeout: how long a read message stays invisible before another read may take it again"},
		{Name: "archive vs delete", Where: "the consumer calls pgmq.archive(queue, msg_id[]) or pgmq.delete(queue, msg_id[])", Default: "the application's choice",
			About: "archive moves a finished message into a_<queue> (kept until the application purges it); delete removes it"},
		{Name: "create_partitioned", Where: "pgmq.create_partitioned(queue, partition_interval, retention_interval) (needs pg_partman)", Default: "partition_interval 10000, retention_interval 100000",
			About: "partitions q_ and a_ by msg_id (or enqueued_at) so pg_partman drops old partitions instead of vacuuming deleted rows"},
		{Name: "create_unlogged", Where: "pgmq.create_unlogged(queue)", Default: "logged queue (pgmq.create)",
			About: "an UNLOGGED q_ table: no WAL for messages, but they are lost on a crash and absent on replicas"},
		{Name: "read_with_poll", Where: "pgmq.read_with_poll(queue, vt, qty, max_poll_seconds, poll_interval_ms)", Default: "max_poll_seconds 5, poll_interval_ms 100",
			About: "waits inside the server for messages instead of the client polling"},
	},
	Upgrade: "pgmq's extension scripts own q_ and a_ tables (they are members of the extension); an index you add is not made for new queues and an extension upgrade may not keep it",
	Retention: "delete messages instead of archiving them, or purge the archive (pgmq.purge_queue / DELETE from a_<queue> by archived_at); " +
		"for very high volume, pgmq.create_partitioned lets pg_partman drop old partitions",
})
