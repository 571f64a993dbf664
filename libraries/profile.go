package libraries

import (
	"path"
	"strings"
)

// Library names, as the sampler records them in a run (runrec.Meta and
// QueueHealth.System).
const (
	PGBoss         = "pg-boss"
	PGMQ           = "pgmq"
	River          = "river"
	GraphileWorker = "graphile-worker"
	Que            = "que"
	GoodJob        = "good_job"
	SolidQueue     = "solid_queue"
	// SkipLocked is pgqtune's own built-in queue table: pgqtune owns it, so
	// every kind of advice applies to it.
	SkipLocked = "pgqtune-skiplocked"
)

// Role is what a statement does for a queue.
type Role string

// Statement roles. Only RoleClaim, RoleEnqueue and RoleComplete feed the
// diagnosis of a queue's throughput; the others name statements that look
// like a claim by their text but are not one.
const (
	RoleClaim    Role = "claim"    // takes runnable jobs (the dequeue)
	RoleEnqueue  Role = "enqueue"  // inserts jobs
	RoleComplete Role = "complete" // finishes jobs: delete, archive or state change
	RoleFail     Role = "fail"     // records a failure or schedules a retry
	// RoleFKCheck is a foreign-key check Postgres runs itself (e.g. pg-boss's
	// deferred check against pgboss.queue at every send's commit).
	RoleFKCheck Role = "fk_check"
	// RoleLock is a statement that locks library bookkeeping rows
	// (graphile-worker's job-queue lock, advisory locks).
	RoleLock Role = "lock"
	// RoleMaintenance is the library's own housekeeping: retention, archive
	// sweeps, expiry, rescue of stuck jobs, stats queries.
	RoleMaintenance Role = "maintenance"
	RoleOther       Role = ""
)

// Feature is something a library already does, so advice to do it is noise.
type Feature string

// Features a library may already have.
const (
	FeatureListenNotify Feature = "listen_notify" // wakes workers with LISTEN/NOTIFY
	FeatureBatchFetch   Feature = "batch_fetch"   // claims several jobs per statement
	FeatureBatchInsert  Feature = "batch_insert"  // inserts several jobs per statement
	FeatureCleanup      Feature = "cleanup"       // deletes or archives finished jobs itself
	FeatureReindex      Feature = "reindex"       // rebuilds its own indexes
	FeaturePartitioning Feature = "partitioning"  // partitions its job table itself
	FeatureSkipLocked   Feature = "skip_locked"   // claims with FOR UPDATE SKIP LOCKED
)

// Profile is what one queue library creates, relies on, already does and
// lets its users change.
type Profile struct {
	// Name is one of the library constants above.
	Name string
	// Versions says which versions the profile describes, and what a
	// version outside them gets.
	Versions string
	// Source names the public docs and schema files the facts come from.
	Source string
	// Owned is true when pgqtune itself owns the schema (SkipLocked): table
	// rewrites, partitioning and index drops are then allowed advice.
	Owned bool

	Tables  []Table
	Indexes []Index
	Does    []Feature
	Knobs   []Knob
}

// Table is a table the library creates.
type Table struct {
	// Pattern matches schema.table (path.Match syntax: "pgboss.job",
	// "pgmq.q_*"). Schema patterns cover the library's default schema; a
	// renamed schema is matched by Detect from the table's shape.
	Pattern string
	// Jobs is true for the table that holds the jobs the claim reads.
	Jobs bool
	// Partitioned is true when the library partitions it (indexes then
	// live on the partitions; CONCURRENTLY is refused on the parent).
	Partitioned bool
	// UpdatedColumns are the columns the library's updates change.
	UpdatedColumns []string
	// HOT tells whether the library's updates can ever be HOT updates
	// (no updated column is indexed or feeds an indexed generated column);
	// HOTWhy says why not, for the report.
	HOT    bool
	HOTWhy string
}

// Index is an index the library creates and relies on.
type Index struct {
	// Table is the Pattern of the Table it lives on.
	Table string
	// Name matches the index name (path.Match syntax: "job_i5",
	// "*_i5").
	Name string
	// Columns are the key columns in order, with DESC where the library
	// orders them so ("priority DESC").
	Columns []string
	// Where is the partial predicate ("" for none).
	Where  string
	Unique bool
	// Claim is true when the library's claim relies on this index.
	Claim bool
}

// Knob is one of the library's own settings a user can change.
type Knob struct {
	// Name as the library spells it ("deleteAfterSeconds",
	// "FetchPollInterval").
	Name string
	// Where it is set ("new PgBoss({...})", "river.Config", "graphile
	// worker preset").
	Where string
	// Default value as the library documents it ("" unknown).
	Default string
	// About says what it changes in database terms.
	About string
}

// profiles is every known library, filled by each library's file.
var profiles = map[string]*Profile{}

func register(p *Profile) *Profile {
	profiles[p.Name] = p
	return p
}

// ByName returns the profile of a library (nil when unknown).
func ByName(name string) *Profile { return profiles[name] }

// ForTable returns the profile of the library that owns schema.table, or
// nil when no library's table pattern matches it.
func ForTable(qualified string) *Profile {
	for _, p := range profiles {
		if p.TableFor(qualified) != nil {
			return p
		}
	}
	return nil
}

// TableFor returns the library's table matching schema.table, or nil.
func (p *Profile) TableFor(qualified string) *Table {
	for i := range p.Tables {
		if ok, _ := path.Match(p.Tables[i].Pattern, qualified); ok {
			return &p.Tables[i]
		}
	}
	return nil
}

// OwnsIndex reports whether index (unqualified name) on table is one the
// library creates.
func (p *Profile) OwnsIndex(table, index string) bool {
	t := p.TableFor(table)
	if t == nil {
		return false
	}
	for _, ix := range p.Indexes {
		if ix.Table != t.Pattern {
			continue
		}
		if ok, _ := path.Match(ix.Name, strings.ToLower(index)); ok {
			return true
		}
	}
	return false
}

// Has reports whether the library already does f.
func (p *Profile) Has(f Feature) bool {
	for _, d := range p.Does {
		if d == f {
			return true
		}
	}
	return false
}
