package sampler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// Sampler samples one database's statistics every Config.Interval.
type Sampler struct {
	cfg  Config
	env  *env
	cols collectors
	// roles is the statement-role decision; derived what the derive step
	// keeps across ticks.
	roles   roleState
	derived derived
	// restartedAt is set by a reconnect that found the server restarted
	// (its postmaster start time moved): when it came back up.
	restartedAt *time.Time

	mu    sync.Mutex
	notes []string
	seen  map[string]bool
}

// New connects (application_name pgqtune-sampler, statement_timeout,
// lock_timeout, read-only when cfg.ReadOnly), reads the server version,
// settings and the session's privileges, and finds the queue tables.
// Missing privileges and extensions are not errors: they become Notes.
func New(ctx context.Context, cfg Config) (*Sampler, error) {
	cfg = cfg.withDefaults()
	if cfg.DSN == "" {
		return nil, errors.New("collect: new sampler: empty DSN")
	}
	conn, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := &Sampler{cfg: cfg, env: &env{conn: conn, cfg: cfg}, seen: map[string]bool{}}
	s.env.note = s.note
	if err := identify(ctx, s.env); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	if v := s.env.version(); v < 120000 || v >= 180000 {
		s.note(fmt.Sprintf("server version %s is outside the tested range 12-17: some collectors may be unavailable", s.env.info.Version))
	}
	if !s.env.monitor {
		s.note(fmt.Sprintf("role %s is not a member of pg_monitor: other sessions' queries, waits and xmin holders may be hidden; run GRANT pg_monitor TO %s", s.env.role, s.env.role))
	}
	settings, err := readSettings(ctx, s.env)
	if err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("collect: read settings: %w", err)
	}
	s.env.info.Settings = settings
	for _, n := range settingNotes(settings) {
		s.note(n)
	}
	queues, qnotes, err := resolveQueues(ctx, s.env, cfg.QueueTables)
	if err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	s.setQueues(queues)
	for _, n := range qnotes {
		s.note(n)
	}
	s.cols = newCollectors(cfg)
	for _, c := range s.cols.all() {
		if p, ok := c.(preparer); ok {
			for _, n := range p.prepare(ctx, s.env) {
				s.note(n)
			}
		}
	}
	return s, nil
}

// preparer is implemented by collectors that inspect the server once at
// start (extension versions, indexes usable for a query); the notes they
// return say what they cannot see.
type preparer interface {
	prepare(ctx context.Context, e *env) []string
}

// collectors are the sampler's collectors, one per statistics view.
type collectors struct {
	database   *databaseCollector
	statements *statementsCollector
	activity   *activityCollector
	locks      *locksCollector
	wal        *walCollector
	checkpoint *checkpointCollector
	tables     *tablesCollector
	indexes    *indexesCollector
	vacuum     *vacuumCollector
	xmin       *xminCollector
	queues     *queuesCollector
	settings   *settingsCollector
	host       *hostCollector // nil unless Config.HostStats
}

func newCollectors(cfg Config) collectors {
	cs := collectors{
		database: &databaseCollector{}, statements: &statementsCollector{}, activity: &activityCollector{},
		locks: &locksCollector{}, wal: &walCollector{}, checkpoint: &checkpointCollector{},
		tables: &tablesCollector{}, indexes: &indexesCollector{}, vacuum: &vacuumCollector{},
		xmin: &xminCollector{}, queues: &queuesCollector{}, settings: &settingsCollector{},
	}
	if cfg.HostStats {
		cs.host = &hostCollector{}
	}
	return cs
}

// all lists the collectors in tick order.
func (cs *collectors) all() []collector {
	out := []collector{cs.database, cs.statements, cs.activity, cs.locks, cs.wal, cs.checkpoint,
		cs.tables, cs.indexes, cs.vacuum, cs.xmin, cs.queues, cs.settings}
	if cs.host != nil {
		out = append(out, cs.host)
	}
	return out
}

// setQueues makes qs the queue list the collectors read and decides the
// statement roles again against it.
func (s *Sampler) setQueues(qs []queueTable) {
	s.env.setQueues(qs)
	s.roles.decide(qs)
}

// Server returns what the sampler learned about the server at start.
func (s *Sampler) Server() ServerInfo { return s.env.info }

// QueueTables returns the queue tables sampled (schema.table), named or
// detected. When none were found at start, the sampler keeps looking while
// it runs (a workload started after it), so a later call may return more.
func (s *Sampler) QueueTables() []string {
	s.env.mu.Lock()
	defer s.env.mu.Unlock()
	out := make([]string, 0, len(s.env.queues))
	for _, q := range s.env.queues {
		out = append(out, q.Name)
	}
	return out
}

// Notes returns what the sampler could not see and what to install or grant
// to see it, and which queue tables it detected.
func (s *Sampler) Notes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.notes...)
}

// Close closes the sampler's session.
func (s *Sampler) Close() {
	if s.env.conn != nil {
		s.env.conn.Close(context.Background())
		s.env.conn = nil
	}
}

func (s *Sampler) note(n string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[n] {
		return
	}
	s.seen[n] = true
	s.notes = append(s.notes, n)
}

// noteStatus turns a collector's non-ok status into a note, once per
// collector and kind of status (a status that repeats every tick is one note).
func (s *Sampler) noteStatus(name string, st runrec.CollectorStatus) {
	if st.Kind == runrec.StatusOK || st.Kind == runrec.StatusReset || st.Kind == runrec.StatusError {
		return
	}
	key := name + "\x00" + string(st.Kind)
	s.mu.Lock()
	dup := s.seen[key]
	s.seen[key] = true
	s.mu.Unlock()
	if !dup {
		s.note(name + ": " + st.String())
	}
}

// Run samples until ctx is done, passing one Sample per tick to sink. A
// cancelled ctx ends Run without error; a lost connection is retried with
// backoff, and the ticks without a connection are still passed to sink with
// Status["server"] saying why. Only a sink error ends Run early.
func (s *Sampler) Run(ctx context.Context, sink func(runrec.Sample) error) error {
	interval := s.cfg.Interval
	next := time.Now()
	var prevT time.Time
	skipped := 0
	var downSince time.Time
	var retryAt time.Time
	backoff := interval
	for {
		if !sleepUntil(ctx, next) {
			return nil
		}
		start := time.Now()
		smp := runrec.Sample{T: start.UTC(), Skipped: skipped}
		if !prevT.IsZero() {
			smp.IntervalS = start.Sub(prevT).Seconds()
		}
		if s.env.conn == nil && !start.Before(retryAt) {
			if err := s.reconnect(ctx); err != nil {
				// Capped low: a failed attempt costs one connect, and every
				// second without the server is a second of lost evidence.
				backoff = min(2*backoff, max(2*time.Second, interval))
				retryAt = start.Add(backoff)
				setStatus(&smp, "server", statusOf(runrec.StatusUnavailable, "unavailable: "+err.Error()))
			} else {
				setStatus(&smp, "server", s.reconnectedStatus(start.Sub(downSince)))
				backoff = interval
			}
		}
		if s.env.conn == nil {
			if _, ok := smp.Status["server"]; !ok {
				setStatus(&smp, "server", statusOf(runrec.StatusUnavailable, "unavailable: reconnecting"))
			}
		} else if err := s.tick(ctx, &smp); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.dropConn()
			downSince, retryAt, backoff = start, start, interval
			setStatus(&smp, "server", statusOf(runrec.StatusUnavailable, "unavailable: "+err.Error()))
		}
		if ctx.Err() != nil {
			return nil
		}
		if err := sink(smp); err != nil {
			return fmt.Errorf("collect: write sample: %w", err)
		}
		prevT = start
		next, skipped = advance(next, interval, time.Now())
	}
}

// tick runs every collector once, records each reading in smp as it
// arrives, then derives what needs several of them (derive.go). Only a
// lost connection is returned; other failures become the collector's
// status. A tick cut short by a lost connection still derives from what
// was read before it.
func (s *Sampler) tick(ctx context.Context, smp *runrec.Sample) error {
	tctx, cancel := context.WithTimeout(ctx, s.cfg.statementTimeout()+2*time.Second)
	defer cancel()
	var r readings
	lost := s.collectAll(tctx, smp, &r)
	s.derived.derive(&r, s.roles.claims, len(s.env.queues), smp)
	return lost
}

// collectAll runs the tick's steps in order until the connection is lost.
func (s *Sampler) collectAll(ctx context.Context, smp *runrec.Sample, r *readings) error {
	for _, st := range s.steps(ctx, r) {
		v, err := st.read()
		v.record(smp)
		if k := v.status(); k.Kind != "" {
			setStatus(smp, st.c.name(), k)
		}
		h := hint{}
		if mh, ok := st.c.(missingHinter); ok {
			h.missing = mh.missingHint()
		}
		stat, lost := classify(err, s.env.role, h)
		if lost == nil && err != nil && (ctx.Err() != nil || s.env.conn.IsClosed()) {
			lost = fmt.Errorf("%w: %w", ErrConnLost, err)
		}
		if lost != nil {
			return lost
		}
		if err != nil {
			st.c.forget()
			setStatus(smp, st.c.name(), stat)
		}
		if cur, ok := smp.Status[st.c.name()]; ok {
			s.noteStatus(st.c.name(), cur)
		}
	}
	return nil
}

// step is one collector's turn in a tick: read runs it and returns its
// reading.
type step struct {
	c    collector
	read func() (reading, error)
}

// steps lists the tick's steps in order. The readings derive combines are
// kept in r; the others go straight into the sample. Two readings feed the
// sampler's own state as soon as they arrive, because what runs later in
// the tick reads it: new statement texts go to the role decision, and the
// queues the queue collector found become the queue list (the settings
// collector reads their reloptions in the same tick). The indexes
// collector reads the indexes of the tables the tables collector sampled.
func (s *Sampler) steps(ctx context.Context, r *readings) []step {
	cs, e := &s.cols, s.env
	steps := []step{
		{cs.database, func() (reading, error) { return cs.database.collect(ctx, e) }},
		{cs.statements, func() (reading, error) {
			v, err := cs.statements.collect(ctx, e)
			r.statements = v
			s.roles.noteTexts(v.texts)
			if err == nil && len(v.texts) > 0 {
				s.roles.decide(e.queues)
			}
			return v, err
		}},
		{cs.activity, func() (reading, error) { return cs.activity.collect(ctx, e) }},
		{cs.locks, func() (reading, error) { return cs.locks.collect(ctx, e) }},
		{cs.wal, func() (reading, error) { return cs.wal.collect(ctx, e) }},
		{cs.checkpoint, func() (reading, error) { return cs.checkpoint.collect(ctx, e) }},
		{cs.tables, func() (reading, error) {
			v, err := cs.tables.collect(ctx, e)
			r.tables = v
			return v, err
		}},
		{cs.indexes, func() (reading, error) { return cs.indexes.collect(ctx, e, r.tables.sampled) }},
		{cs.vacuum, func() (reading, error) { return cs.vacuum.collect(ctx, e) }},
		{cs.xmin, func() (reading, error) { return cs.xmin.collect(ctx, e) }},
		{cs.queues, func() (reading, error) {
			v, err := cs.queues.collect(ctx, e)
			r.queues, r.queuesFailed = v, err != nil
			if v.queues != nil {
				s.setQueues(v.queues)
			}
			return v, err
		}},
		{cs.settings, func() (reading, error) { return cs.settings.collect(ctx, e) }},
	}
	if cs.host != nil {
		steps = append(steps, step{cs.host, func() (reading, error) { return cs.host.collect() }})
	}
	return steps
}

// reconnect opens a new session after a lost one; the collectors start a
// new baseline.
func (s *Sampler) reconnect(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, s.cfg.statementTimeout()+2*time.Second)
	defer cancel()
	conn, err := connect(cctx, s.cfg)
	if err != nil {
		return err
	}
	s.env.conn = conn
	was := s.env.started
	if err := identify(cctx, s.env); err != nil {
		s.dropConn()
		return err
	}
	s.restartedAt = nil
	if !was.IsZero() && !s.env.started.Equal(was) {
		t := s.env.started
		s.restartedAt = &t
	}
	return nil
}

func (s *Sampler) dropConn() {
	if s.env.conn != nil {
		s.env.conn.Close(context.Background())
		s.env.conn = nil
	}
	for _, c := range s.cols.all() {
		c.forget()
	}
	s.derived.forget()
}

// advance returns the next tick time after now and how many ticks were
// missed because the last one overran.
func advance(next time.Time, interval time.Duration, now time.Time) (time.Time, int) {
	next = next.Add(interval)
	skipped := 0
	for !next.After(now) {
		next = next.Add(interval)
		skipped++
	}
	return next, skipped
}

// sleepUntil waits until t or until ctx is done (false).
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// reconnectedStatus is the server's status on the first tick after a
// reconnect, down for how long it was without a connection.
func (s *Sampler) reconnectedStatus(down time.Duration) runrec.CollectorStatus {
	if s.restartedAt == nil {
		return statusOf(runrec.StatusReconnected, fmt.Sprintf("reconnected after %.1fs", down.Seconds()))
	}
	// The detail has always carried the time to the second; RestartedAt
	// says the same, so text and field never disagree.
	at := s.restartedAt.UTC().Truncate(time.Second)
	st := statusOf(runrec.StatusRestarted, fmt.Sprintf("restarted at %s, reconnected after %.1fs", at.Format(time.RFC3339), down.Seconds()))
	st.RestartedAt = at
	return st
}

func setStatus(smp *runrec.Sample, name string, st runrec.CollectorStatus) {
	if smp.Status == nil {
		smp.Status = map[string]runrec.CollectorStatus{}
	}
	smp.Status[name] = st
}
