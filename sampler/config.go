package sampler

import (
	"cmp"
	"time"
)

// ApplicationName is the sampler session's application_name; analysis
// excludes it from findings and the sampler excludes it from its own views.
const ApplicationName = "pgqtune-sampler"

// Config configures a Sampler.
type Config struct {
	// DSN is the target database.
	DSN string
	// Interval is the tick; default 1s.
	Interval time.Duration
	// QueueTables are schema.table names of the queue tables; empty means
	// auto-detect: the known queue systems' tables, else the tables that
	// FOR UPDATE SKIP LOCKED statements claim from (also while running).
	QueueTables []string
	// WorkloadApps are application_name prefixes of the measured workload
	// (run mode: "pgqtune-workload"). In observe mode, sessions whose query
	// touches a queue table count as workload too.
	WorkloadApps []string
	// ReadOnly makes the session run with default_transaction_read_only on
	// (observe mode never writes to the target).
	ReadOnly bool
	// HostStats reads CPU and load from /proc (the server runs on this host).
	HostStats bool
	// TopTables is how many of the most active non-queue tables are sampled
	// besides the queue tables; default 10.
	TopTables int
}

func (c Config) withDefaults() Config {
	c.Interval = cmp.Or(c.Interval, time.Second)
	c.TopTables = cmp.Or(c.TopTables, 10)
	return c
}

// statementTimeout bounds one sampling query: long enough for a busy
// catalog, short enough that a stuck query costs a few ticks at most.
func (c Config) statementTimeout() time.Duration {
	return min(max(2*c.Interval, time.Second), 10*time.Second)
}

// lockTimeout is short: the sampler must never queue behind (and so in front
// of) a workload's lock request for long.
const lockTimeout = 200 * time.Millisecond
