package recommendations

import (
	"math"
	"sort"
	"strings"

	"github.com/pgqtune/pgqtune/libraries"
	"github.com/pgqtune/pgqtune/runrec"
)

// facts are the numbers every rule reads, computed once from the run.
type facts struct {
	in *Input
	// DurationS is the time the samples cover, in seconds.
	DurationS float64
	Tables    map[string]*tableFacts
	// Statements are the hot statements, most total execution time first.
	Statements []*stmtFacts
	// Claim is the dequeue's claim statement (nil when none was seen): the
	// most-called statement the run records with the claim role (see
	// runrec.Run.Roles) whose text has a locking SELECT to design an index
	// for. Its Claim is the locking SELECT on the queue the role names.
	Claim *stmtFacts
	// Roles are the run's statement roles by queryid: the sampler's one
	// decision about which statements claim, enqueue and complete jobs.
	Roles map[int64]runrec.StatementRole
	// Findings by cause, in report order.
	ByCause map[string][]runrec.Finding
	// viaContributing maps a finding id to the cause a rule matched it by
	// when that cause was only contributing (see concerns).
	viaContributing map[string]string

	WALBytes, WALFPI, WALRecords      int64
	walSeries                         []point // (interval s, bytes) per sample
	CheckpointsTimed, CheckpointsReqd int64
	TempBytes, TempFiles              int64
	Commits                           int64
	// WaitMax is the most active backends seen at once per wait event.
	WaitMax map[string]int
	// XminHolders are the distinct holders seen, oldest first.
	XminHolders []runrec.XminHolder
	// MaxLockWaiters is the most sessions seen waiting on locks at once;
	// MaxRowWaiters counts only workload sessions waiting on row locks
	// (transactionid, tuple): workers contending with each other.
	MaxLockWaiters int
	MaxRowWaiters  int
	// detected caches detectedLibraries.
	detected []string
}

// tableFacts summarize one table over the run.
type tableFacts struct {
	Name                         string
	Queue                        bool
	Ins, Upd, HotUpd, Del        int64
	SeqScan, SeqTupRead, IdxScan int64
	Autovacuums, Vacuums         int64
	DeadFirst, DeadLast, DeadMax int64
	LiveFirst, LiveLast          int64
	HeapFirst, HeapLast          int64
	IndexFirst, IndexLast        int64
	DeadSlopePerMin              float64
	samplesSeen                  int
	deadSeries                   []point
	IndexScans                   map[string]int64 // index -> idx_scan delta over the run
	IndexSize                    map[string]int64 // index -> last size
}

type point struct{ x, y float64 }

// stmtFacts are one statement's totals over the run.
type stmtFacts struct {
	Statement
	Calls           int64
	TotalExecMs     float64
	Rows            int64
	BlksHit         int64
	BlksRead        int64
	TempBlksWritten int64
	WALBytes        int64
}

// MeanMs is the mean execution time per call.
func (s *stmtFacts) MeanMs() float64 {
	if s.Calls == 0 {
		return 0
	}
	return s.TotalExecMs / float64(s.Calls)
}

// RowsPerCall is the mean rows returned or affected per call.
func (s *stmtFacts) RowsPerCall() float64 {
	if s.Calls == 0 {
		return 0
	}
	return float64(s.Rows) / float64(s.Calls)
}

// BlksPerCall is the mean shared blocks touched per call.
func (s *stmtFacts) BlksPerCall() float64 {
	if s.Calls == 0 {
		return 0
	}
	return float64(s.BlksHit+s.BlksRead) / float64(s.Calls)
}

// PerSec turns a run total into a rate.
func (f *facts) PerSec(n int64) float64 {
	if f.DurationS <= 0 {
		return 0
	}
	return float64(n) / f.DurationS
}

func newFacts(in *Input) *facts {
	f := &facts{in: in, Tables: map[string]*tableFacts{}, ByCause: map[string][]runrec.Finding{}, WaitMax: map[string]int{}}
	for _, fd := range in.Findings {
		f.ByCause[fd.Cause] = append(f.ByCause[fd.Cause], fd)
	}
	if in.Run == nil {
		return f
	}
	queue := map[string]bool{}
	for _, q := range in.Run.Meta.QueueTables {
		queue[q] = true
	}
	stmts := map[int64]*stmtFacts{}
	holders := map[string]runrec.XminHolder{}
	var t0 float64
	for i := range in.Run.Samples {
		s := &in.Run.Samples[i]
		f.DurationS += s.IntervalS
		t0 += s.IntervalS
		addStatements(stmts, s)
		f.addTables(s, queue, t0)
		f.addServer(s)
		addHolders(holders, s)
	}
	for _, tf := range f.Tables {
		tf.DeadSlopePerMin = slope(tf.deadSeries) * 60
	}
	f.finishStatements(stmts)
	f.finishHolders(holders)
	return f
}

// addStatements adds one sample's pg_stat_statements deltas to stmts.
func addStatements(stmts map[int64]*stmtFacts, s *runrec.Sample) {
	for _, d := range s.Statements {
		sf := stmts[d.QueryID]
		if sf == nil {
			sf = &stmtFacts{Statement: Statement{QueryID: d.QueryID}}
			stmts[d.QueryID] = sf
		}
		if d.Text != "" {
			// Texts come with an entry's first appearance only.
			sf.Text = d.Text
		}
		sf.Calls += d.Calls
		sf.TotalExecMs += d.TotalExecMs
		sf.Rows += d.Rows
		sf.BlksHit += d.SharedBlksHit
		sf.BlksRead += d.SharedBlksRead
		sf.TempBlksWritten += d.TempBlksWritten
		sf.WALBytes += d.WALBytes
	}
}

// addTables adds one sample's table and index statistics; t0 is the
// sample's time in seconds from the start, for the dead-tuple series.
func (f *facts) addTables(s *runrec.Sample, queue map[string]bool, t0 float64) {
	for _, ts := range s.Tables {
		tf := f.Tables[ts.Relation]
		if tf == nil {
			tf = &tableFacts{Name: ts.Relation, IndexScans: map[string]int64{}, IndexSize: map[string]int64{},
				DeadFirst: ts.DeadTup, LiveFirst: ts.LiveTup, HeapFirst: ts.HeapBytes, IndexFirst: ts.IndexBytes}
			f.Tables[ts.Relation] = tf
		}
		tf.Queue = tf.Queue || ts.Queue || queue[ts.Relation]
		tf.Ins += ts.Ins
		tf.Upd += ts.Upd
		tf.HotUpd += ts.HotUpd
		tf.Del += ts.Del
		tf.SeqScan += ts.SeqScan
		tf.SeqTupRead += ts.SeqTupRead
		tf.IdxScan += ts.IdxScan
		tf.Autovacuums += ts.Autovacuum
		tf.Vacuums += ts.Vacuum
		tf.DeadLast, tf.LiveLast, tf.HeapLast, tf.IndexLast = ts.DeadTup, ts.LiveTup, ts.HeapBytes, ts.IndexBytes
		tf.DeadMax = max(tf.DeadMax, ts.DeadTup)
		tf.deadSeries = append(tf.deadSeries, point{t0, float64(ts.DeadTup)})
		tf.samplesSeen++
	}
	for _, ix := range s.Indexes {
		if tf := f.Tables[ix.Relation]; tf != nil {
			tf.IndexScans[ix.Index] += ix.IdxScan
			tf.IndexSize[ix.Index] = ix.SizeBytes
		}
	}
}

// addServer adds one sample's server-wide figures: WAL, checkpoints, temp
// files, commits, waits and lock waiters.
func (f *facts) addServer(s *runrec.Sample) {
	if s.WAL != nil {
		b := s.WAL.Bytes
		if !s.WAL.HasStatWAL {
			b = s.WAL.LSNBytes
		}
		f.WALBytes += b
		f.walSeries = append(f.walSeries, point{s.IntervalS, float64(b)})
		f.WALFPI += s.WAL.FPI
		f.WALRecords += s.WAL.Records
	}
	if s.Checkpointer != nil {
		f.CheckpointsTimed += s.Checkpointer.Timed
		f.CheckpointsReqd += s.Checkpointer.Requested
	}
	if s.Database != nil {
		f.TempBytes += s.Database.TempBytes
		f.TempFiles += s.Database.TempFiles
		f.Commits += s.Database.XactCommit
	}
	if s.Activity != nil {
		for k, v := range s.Activity.ByWait {
			f.WaitMax[k] = max(f.WaitMax[k], v)
		}
	}
	if s.Locks != nil {
		f.MaxLockWaiters = max(f.MaxLockWaiters, s.Locks.Waiting)
		n := 0
		for _, w := range s.Locks.Waits {
			if w.Workload && (w.LockType == "transactionid" || w.LockType == "tuple") {
				n++
			}
		}
		f.MaxRowWaiters = max(f.MaxRowWaiters, n)
	}
}

// addHolders keeps, per xmin holder, its oldest sighting.
func addHolders(holders map[string]runrec.XminHolder, s *runrec.Sample) {
	for _, h := range s.XminHolders {
		key := h.Kind + "|" + h.Name
		if h.PID != 0 {
			key = h.Kind + "|" + itoa(int64(h.PID))
		}
		if old, ok := holders[key]; !ok || h.AgeS > old.AgeS || h.XminAge > old.XminAge {
			holders[key] = h
		}
	}
}

// finishStatements parses the statements, orders them by total time, and
// picks the claim: the recorded claim role's busiest statement with a
// locking SELECT.
func (f *facts) finishStatements(stmts map[int64]*stmtFacts) {
	for _, sf := range stmts {
		if sf.Text != "" {
			sf.Statement = ParseStatement(sf.QueryID, sf.Text)
		}
		f.Statements = append(f.Statements, sf)
	}
	sort.Slice(f.Statements, func(i, j int) bool {
		a, b := f.Statements[i], f.Statements[j]
		if a.TotalExecMs != b.TotalExecMs {
			return a.TotalExecMs > b.TotalExecMs
		}
		return a.QueryID < b.QueryID
	})
	f.Roles = map[int64]runrec.StatementRole{}
	for _, r := range f.in.Run.Roles() {
		f.Roles[r.QueryID] = r
	}
	for _, sf := range f.Statements {
		r, ok := f.Roles[sf.QueryID]
		if !ok || r.Role != string(libraries.RoleClaim) || sf.Calls == 0 {
			continue
		}
		if lq := lockOn(sf.Locks, r.Queue); lq != nil {
			sf.Claim = lq
		}
		if sf.Claim == nil {
			continue // a claim with no locking SELECT in its text (pgmq.read(...)): nothing to index from
		}
		if f.Claim == nil || sf.Calls > f.Claim.Calls {
			f.Claim = sf
		}
	}
}

// finishHolders lists the xmin holders, the oldest horizon first.
func (f *facts) finishHolders(holders map[string]runrec.XminHolder) {
	for _, h := range holders {
		f.XminHolders = append(f.XminHolders, h)
	}
	sort.Slice(f.XminHolders, func(i, j int) bool {
		a, b := f.XminHolders[i], f.XminHolders[j]
		if a.XminAge != b.XminAge {
			return a.XminAge > b.XminAge
		}
		return a.Kind+a.Name < b.Kind+b.Name
	})
}

// withRole returns the statements the run records with role (enqueue,
// complete, ...), most total execution time first.
func (f *facts) withRole(role libraries.Role) []*stmtFacts {
	var out []*stmtFacts
	for _, sf := range f.Statements {
		if r, ok := f.Roles[sf.QueryID]; ok && r.Role == string(role) {
			out = append(out, sf)
		}
	}
	return out
}

// claimWithoutLock returns the most-called recorded claim, when the run
// recorded one whose text has no locking SELECT (so Claim is nil).
func (f *facts) claimWithoutLock() (int64, bool) {
	var best *stmtFacts
	for _, sf := range f.withRole(libraries.RoleClaim) {
		if best == nil || sf.Calls > best.Calls {
			best = sf
		}
	}
	if best == nil {
		return 0, false
	}
	return best.QueryID, true
}

// lockOn is the locking SELECT on queue (schema.table, or as written), or
// nil when none names it.
func lockOn(locks []*Query, queue string) *Query {
	if queue == "" {
		return nil
	}
	for _, q := range locks {
		if q.Relation == queue || strings.HasSuffix(queue, "."+q.Relation) || strings.HasSuffix(q.Relation, "."+bareName(queue)) {
			return q
		}
	}
	return nil
}

// slope is the least-squares slope of y over x (per second), 0 when flat or
// too short to tell.
func slope(ps []point) float64 {
	if len(ps) < 3 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	n := float64(len(ps))
	for _, p := range ps {
		sx += p.x
		sy += p.y
		sxx += p.x * p.x
		sxy += p.x * p.y
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / den
}

// table returns a table's facts by catalog name or bare name.
func (f *facts) table(name string) *tableFacts {
	if tf, ok := f.Tables[name]; ok {
		return tf
	}
	var found *tableFacts
	for k, tf := range f.Tables {
		if k == name || strings.HasSuffix(k, "."+name) {
			if found != nil {
				return nil
			}
			found = tf
		}
	}
	return found
}

// queueTables are the tables the run measured as queues, by name.
func (f *facts) queueTables() []*tableFacts {
	var out []*tableFacts
	for _, tf := range f.Tables {
		if tf.Queue {
			out = append(out, tf)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// findingIDs lists the ids of findings with any of the causes.
func (f *facts) findingIDs(causes ...string) []string {
	var ids []string
	for _, fd := range f.in.Findings {
		for _, c := range causes {
			if f.concerns(fd, c) {
				ids = append(ids, fd.ID)
				break
			}
		}
	}
	return ids
}

// findingsOn lists findings with the cause whose objects name table (or
// that name no object at all).
func (f *facts) findingsOn(table string, causes ...string) []runrec.Finding {
	var out []runrec.Finding
	for _, fd := range f.in.Findings {
		match := false
		for _, c := range causes {
			if f.concerns(fd, c) {
				match = true
			}
		}
		if !match {
			continue
		}
		if len(fd.Objects) == 0 || sameTableIn(fd.Objects, table) {
			out = append(out, fd)
		}
	}
	return out
}

func sameTableIn(objs []string, table string) bool {
	for _, o := range objs {
		if o == table || strings.HasSuffix(table, "."+o) || strings.HasSuffix(o, "."+table) {
			return true
		}
	}
	return false
}

func ids(fs []runrec.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

// maxWALRate is the highest mean WAL rate (bytes/s) over any stretch of
// window seconds, or the run's mean when the run is shorter than that.
func (f *facts) maxWALRate(window float64) float64 {
	var total, bytes float64
	for _, p := range f.walSeries {
		total += p.x
		bytes += p.y
	}
	if total <= 0 {
		return 0
	}
	if total <= window {
		return bytes / total
	}
	best := 0.0
	var sumT, sumB float64
	lo := 0
	for _, p := range f.walSeries {
		sumT += p.x
		sumB += p.y
		for sumT-f.walSeries[lo].x >= window {
			sumT -= f.walSeries[lo].x
			sumB -= f.walSeries[lo].y
			lo++
		}
		if sumT >= window {
			best = math.Max(best, sumB/sumT)
		}
	}
	return best
}
