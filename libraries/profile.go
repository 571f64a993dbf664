package libraries

import (
	"path"
	"sort"
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
	// Upgrade says what the library's upgrades and its own DDL may do to
	// an index a user adds on one of its tables (for the label pgqtune puts
	// on such advice).
	Upgrade string
	// Retention names the library's own way to keep its tables small
	// (the knobs to turn instead of partitioning or swapping its tables).
	Retention string
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
	// Parent is the Pattern of the partitioned table this one is a
	// partition of ("" for none): pg-boss v10's per-queue partitions.
	Parent string
}

// Index is an index the library creates and relies on.
type Index struct {
	// Table is the Pattern of the Table it lives on.
	Table string
	// Name matches the index name (path.Match syntax: "job_i5",
	// "j*_i5"). A "*" in it stands for the text the "*" of the table's
	// Pattern matched, so NameFor renders the name the library gives the
	// index on one table ("pgboss.j*" + "j*_i5" -> "j3f2a..._i5").
	Name string
	// Columns are the key columns (or expressions) in order, with DESC
	// where the library orders them so ("priority DESC").
	Columns []string
	// Include are the INCLUDE columns (none when empty).
	Include []string
	// Method is the access method ("" means btree).
	Method string
	// Where is the partial predicate ("" for none).
	Where  string
	Unique bool
	// Claim is true when the library's claim relies on this index.
	Claim bool
	// Optional is true when only some of the versions the profile covers
	// create the index (Since says which): its absence is then no defect,
	// and pgqtune does not recreate it.
	Optional bool
	Since    string
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
// nil when no library's table pattern matches it. When several match, the
// most specific wins: a library whose pattern names the schema before one
// whose schema is a wildcard, a library before pgqtune's own table, then
// by name, so the answer never depends on map order.
func ForTable(qualified string) *Profile {
	return Detect(nil, qualified)
}

// Detect returns the profile that owns schema.table, preferring the
// libraries the sampler detected in the run (detected holds library
// names), then ForTable's order. Nil when no profile matches.
func Detect(detected []string, qualified string) *Profile {
	var cands []*Profile
	for _, p := range profiles {
		if p.TableFor(qualified) != nil {
			cands = append(cands, p)
			continue
		}
		// A detected library in another schema than its default (pgqtune
		// runs pg-boss in its own schema): match the table part.
		for _, d := range detected {
			if d == p.Name && p.TableFor(p.Canonical(qualified)) != nil {
				cands = append(cands, p)
			}
		}
	}
	if len(cands) == 0 {
		return nil
	}
	rank := func(p *Profile) int {
		r := 0
		for _, d := range detected {
			if d == p.Name {
				r -= 100
			}
		}
		if t := p.TableFor(p.Canonical(qualified)); t != nil && strings.HasPrefix(t.Pattern, "*") {
			r += 10
		}
		if p.Owned {
			r += 1
		}
		return r
	}
	sort.Slice(cands, func(i, j int) bool {
		ri, rj := rank(cands[i]), rank(cands[j])
		if ri != rj {
			return ri < rj
		}
		return cands[i].Name < cands[j].Name
	})
	return cands[0]
}

// Names lists every registered library name, sorted.
func Names() []string {
	var out []string
	for n := range profiles {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Canonical returns schema.table as the library names it by default: the
// same name when a table pattern matches it, else the name with its schema
// replaced by the library's default schema when the table part alone
// matches a pattern (a library installed in another schema), else the
// name unchanged.
func (p *Profile) Canonical(qualified string) string {
	for i := range p.Tables {
		if ok, _ := path.Match(p.Tables[i].Pattern, qualified); ok {
			return qualified
		}
	}
	_, rel, ok := strings.Cut(qualified, ".")
	if !ok {
		rel = qualified
	}
	for i := range p.Tables {
		schema, trel, ok := strings.Cut(p.Tables[i].Pattern, ".")
		if !ok || schema == "*" {
			continue
		}
		if m, _ := path.Match(trel, rel); m {
			return schema + "." + rel
		}
	}
	return qualified
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

// OwnsIndex reports whether index on table is one the library creates.
// The index may be schema-qualified; only its name is compared.
func (p *Profile) OwnsIndex(table, index string) bool {
	return p.IndexFor(table, index) != nil
}

// IndexFor returns the library's index expectation that index (its name,
// schema-qualified or not) on table matches, or nil.
func (p *Profile) IndexFor(table, index string) *Index {
	if i := strings.LastIndexByte(index, '.'); i >= 0 {
		index = index[i+1:]
	}
	index = strings.ToLower(strings.Trim(index, `"`))
	for _, ix := range p.IndexesOn(table) {
		if ok, _ := path.Match(ix.Name, index); ok {
			return &ix
		}
		if ix.NameFor(p.tablePattern(table), p.Canonical(table)) == index {
			return &ix
		}
	}
	return nil
}

// IndexesOn returns the indexes the library creates on table
// (schema.table), in profile order.
func (p *Profile) IndexesOn(table string) []Index {
	t := p.TableFor(p.Canonical(table))
	if t == nil {
		return nil
	}
	var out []Index
	for _, ix := range p.Indexes {
		if ix.Table == t.Pattern {
			out = append(out, ix)
		}
	}
	return out
}

func (p *Profile) tablePattern(table string) string {
	if t := p.TableFor(p.Canonical(table)); t != nil {
		return t.Pattern
	}
	return ""
}

// NameFor renders the name the library gives this index on table
// (schema.table), which matches tablePattern: the "*" of the index name
// becomes what the "*" of the table pattern matched.
func (ix Index) NameFor(tablePattern, table string) string {
	if !strings.Contains(ix.Name, "*") {
		return ix.Name
	}
	return strings.Replace(ix.Name, "*", wildcardPart(tablePattern, table), 1)
}

// wildcardPart is the text the single "*" of pattern matched in name
// (both schema.table); "" when the pattern has no "*" or does not match.
func wildcardPart(pattern, name string) string {
	pre, post, ok := strings.Cut(pattern, "*")
	if !ok || !strings.HasPrefix(name, pre) || !strings.HasSuffix(name, post) || len(name) < len(pre)+len(post) {
		return ""
	}
	return name[len(pre) : len(name)-len(post)]
}

// Knob returns the library knob named name, or nil.
func (p *Profile) Knob(name string) *Knob {
	for i := range p.Knobs {
		if p.Knobs[i].Name == name {
			return &p.Knobs[i]
		}
	}
	return nil
}

// JobsTable returns the library table that holds the jobs the claim reads
// (the partitioned parent where the library partitions it), or nil.
func (p *Profile) JobsTable() *Table {
	for i := range p.Tables {
		if p.Tables[i].Jobs && p.Tables[i].Parent == "" {
			return &p.Tables[i]
		}
	}
	return nil
}

// PartitionsOf returns the library's partition pattern whose parent is
// the table matching parent, or nil.
func (p *Profile) PartitionsOf(parent string) *Table {
	t := p.TableFor(p.Canonical(parent))
	if t == nil {
		return nil
	}
	for i := range p.Tables {
		if p.Tables[i].Parent == t.Pattern {
			return &p.Tables[i]
		}
	}
	return nil
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
