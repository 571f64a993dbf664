package sqlload

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgqtune/pgqtune/runrec"
)

// DefaultAppName is the application_name of every workload session.
const DefaultAppName = "pgqtune-workload"

// RunParams are Run's arguments.
type RunParams struct {
	DSN, Schema string
	Scenario    *Scenario
	// OnTick receives one WorkloadTick per second, in order, from one
	// goroutine (nil = none).
	OnTick func(runrec.WorkloadTick)
	// Progress gets a pgbench -P style line every ProgressEvery seconds
	// (nil = quiet).
	Progress io.Writer
	// ProgressEvery is the seconds between progress lines; 0 means 5.
	ProgressEvery int
	// AppName is every workload session's application_name (default
	// DefaultAppName): the sampler uses it to tell the workload from the
	// rest of the database.
	AppName string
}

// Result is what Run measured. Figures exclude warm-up phases.
type Result struct {
	// Integrity accounts for every job: completed exactly once, failed
	// for good, or still pending; lost and duplicated must be 0.
	Integrity runrec.Integrity
	// LatencyMs is end-to-end latency: from the job's intended send time
	// (not the moment the driver managed to send it) to its completion.
	LatencyMs runrec.Percentiles
	// Operations are per-operation latencies: enqueue, dequeue, complete
	// (per call), queue_wait (runnable -> claimed) and end_to_end.
	Operations map[string]runrec.Percentiles
	// Phases are when each phase ran, with its throughput and p99.
	Phases []runrec.PhaseSpan
	// MaxSustainable and Knee are set by a steps profile.
	MaxSustainable *float64
	Knee           *runrec.Knee
	// Workload is the comparability record (adapter and settings, batch
	// sizes, insert method, connections, server version, reloptions...).
	Workload map[string]any
	// QueueTables are the adapter's tables.
	QueueTables []string
	// Notes say what went wrong along the way (errors retried, pressures
	// that could not start, an integrity check that could not run).
	Notes []string
	// Enqueued, Completed and Seconds are the measured totals.
	Enqueued, Completed int64
	Seconds             float64
}

// Run drives the scenario to its end or until ctx is cancelled;
// cancellation is not an error: it stops producers, lets consumers finish
// the jobs they hold, and still returns the Result of what was done. Every
// workload session sets application_name = AppName.
//
// A connection that dies mid-run (pg_terminate_backend, a restart) is
// survived: the pool reconnects, claims are retried, and completions are
// retried until they succeed (adapters make them idempotent). An enqueue
// whose commit outcome is unknown is never re-sent; its jobs count as
// enqueued only if the queue shows them later, so a retry cannot create a
// duplicate and an uncommitted insert is not reported as lost.
//
// Run returns an error only when the run could not start or the database
// rejected the workload outright (a permanent SQL error); then it still
// returns the Result so far when there is one.
func Run(ctx context.Context, p *RunParams) (*Result, error) {
	if p == nil || p.Scenario == nil {
		return nil, errors.New("sqlload: run: no scenario")
	}
	sc := p.Scenario
	schema := cmp.Or(p.Schema, "pgqtune")
	app := cmp.Or(p.AppName, DefaultAppName)
	conns := newConnSet()
	pool, err := openPool(ctx, p.DSN, app, sc.poolSize(), conns)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	f, err := LookupAdapter(sc.Adapter)
	if err != nil {
		return nil, fmt.Errorf("sqlload: run: %w", err)
	}
	ad, err := f(ctx, sc.adapterConfig(pool, p.DSN, schema))
	if err != nil {
		return nil, fmt.Errorf("sqlload: run: adapter %s: %w", sc.Adapter, err)
	}
	defer ad.Close(context.Background())
	if err := ad.Setup(ctx); err != nil {
		return nil, fmt.Errorf("sqlload: run: %w", err)
	}
	defer limitProcs(sc.clientProcs())()
	d := newDriver(p, sc, schema, app, ad, pool)
	d.conns = conns
	return d.run(ctx)
}

// Setup creates the scenario's queue tables in schema. It is idempotent.
func Setup(ctx context.Context, dsn, schema string, sc *Scenario) error {
	pool, err := openPool(ctx, dsn, DefaultAppName+"-setup", 2, nil)
	if err != nil {
		return err
	}
	defer pool.Close()
	f, err := LookupAdapter(sc.Adapter)
	if err != nil {
		return fmt.Errorf("sqlload: setup: %w", err)
	}
	ad, err := f(ctx, sc.adapterConfig(pool, dsn, cmp.Or(schema, "pgqtune")))
	if err != nil {
		return fmt.Errorf("sqlload: setup: adapter %s: %w", sc.Adapter, err)
	}
	defer ad.Close(context.Background())
	if err := ad.Setup(ctx); err != nil {
		return fmt.Errorf("sqlload: setup: %w", err)
	}
	return nil
}

// QueueTables returns the tables the scenario's adapter uses in schema,
// without touching the database.
func (s *Scenario) QueueTables(schema string) []string {
	f, err := LookupAdapter(s.Adapter)
	if err != nil {
		return nil
	}
	ad, err := f(context.Background(), s.adapterConfig(nil, "", cmp.Or(schema, "pgqtune")))
	if err != nil {
		return nil
	}
	return ad.Tables()
}

func (s *Scenario) poolSize() int {
	if s.PoolSize > 0 {
		return s.PoolSize
	}
	return s.Producers + s.Consumers + 2
}

// openPool opens a pool of size connections; with conns set, they join it
// (connset.go).
func openPool(ctx context.Context, dsn, app string, size int, conns *connSet) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlload: parse DSN: %w", err)
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = app
	cfg.MaxConns = int32(min(size, math.MaxInt32))
	cfg.MinConns = 0
	if conns != nil {
		cfg.ConnConfig.DialFunc = conns.dialer(cfg.ConnConfig.DialFunc)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("sqlload: open pool: %w", err)
	}
	return pool, nil
}

// counters are one second's events, swapped out by the ticker.
type counters struct {
	enqueued, dequeued, completed, failed, retried, redelivered, errors atomic.Int64
	// refused counts connection attempts the server turned away for lack
	// of slots (SQLSTATE 53300): the workers waited on max_connections.
	refused atomic.Int64
}

// phaseInfo is the phase now running.
type phaseInfo struct {
	name   string
	warmup bool
}

// batch is a unit of work for a producer.
type batch struct {
	jobs   []NewJob
	method InsertMethod
}

// driver is one run.
type driver struct {
	p      *RunParams
	sc     *Scenario
	schema string
	app    string
	ad     Adapter
	pool   *pgxpool.Pool
	queues []string
	start  time.Time

	// hctx carries the database calls of producers and consumers: it
	// outlives the caller's ctx so that jobs in hand are finished after a
	// Ctrl-C, and is cancelled only after a grace period.
	hctx    context.Context
	hcancel context.CancelFunc
	// callCtx is what database calls get: hctx, or for a PoolOnly adapter
	// hctx without its end, which interrupts conns instead (connset.go).
	callCtx context.Context
	conns   *connSet
	fatal   atomic.Pointer[error]
	stopRun context.CancelFunc

	batches chan batch
	spare   chan []NewJob // sent batches' slices, for reuse (recycle)
	seq     atomic.Int64
	ledger  ledger
	c       counters

	// Measured (post-warm-up) histograms and totals.
	enqH, deqH, compH, waitH, e2eH *hist
	tickH, stepH, phaseH           *hist
	measEnq, measComp              atomic.Int64
	measStart                      atomic.Int64 // unix nanos
	// measMu makes the warm-up reset atomic with respect to recording:
	// recorders hold it shared, the reset exclusively.
	measMu sync.RWMutex

	allComp    atomic.Int64  // completions incl. warm-up (steps, burndown)
	acked      atomic.Int64  // jobs whose enqueue returned (ok or unsure)
	backlog    atomic.Int64  // enqueued - finished, the driver's view
	dueNs      atomic.Int64  // when the schedule's next batch was due (unix ns, 0 = none)
	targetRate atomic.Uint64 // float64 bits
	phase      atomic.Pointer[phaseInfo]
	paused     atomic.Bool
	// chain completes and claims in one transaction (complete_and_claim);
	// nil when the scenario does not ask for it.
	chain CompleteClaimer
	wake  *waker
	room  chan struct{} // a completion made room under max_depth

	mu     sync.Mutex
	notes  []string
	seen   map[string]bool
	opErrs map[string]*opErr

	lastWaits      int64 // pool EmptyAcquireCount at the last tick
	spans          []runrec.PhaseSpan
	maxSustainable *float64
	knee           *runrec.Knee
	ticks          []runrec.WorkloadTick
}

func newDriver(p *RunParams, sc *Scenario, schema, app string, ad Adapter, pool *pgxpool.Pool) *driver {
	d := &driver{
		p: p, sc: sc, schema: schema, app: app, ad: ad, pool: pool, queues: sc.QueueNames(),
		// One ready batch per producer: commits finish in groups (one WAL
		// flush wakes every producer at once), and producers queueing
		// behind the one goroutine that builds batches sat idle.
		// Intended times are set when a batch is built, so waiting here
		// still counts as latency, as it should.
		batches: make(chan batch, max(sc.Producers, 1)), room: make(chan struct{}, 1),
		spare: make(chan []NewJob, max(sc.Producers, 1)),
		enqH:  newHist(), deqH: newHist(), compH: newHist(), waitH: newHist(), e2eH: newHist(),
		tickH: newHist(), stepH: newHist(), phaseH: newHist(),
		wake: newWaker(), seen: map[string]bool{}, opErrs: map[string]*opErr{},
	}
	if sc.CompleteAndClaim {
		d.chain, _ = ad.(CompleteClaimer)
	}
	d.phase.Store(&phaseInfo{})
	return d
}

// note records a message once (the first time its text is seen).
func (d *driver) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.seen[msg] || len(d.notes) > 50 {
		return
	}
	d.seen[msg] = true
	d.notes = append(d.notes, msg)
}

// opErr counts one operation's retried errors.
type opErr struct {
	n     int64
	first string
}

// retried records an error that was retried, for one summary note per
// operation at the end.
func (d *driver) retried(op string, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e := d.opErrs[op]
	if e == nil {
		e = &opErr{first: err.Error()}
		d.opErrs[op] = e
	}
	e.n++
}

// errorNotes summarises retried errors, one line per operation.
func (d *driver) errorNotes() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	ops := make([]string, 0, len(d.opErrs))
	for op := range d.opErrs {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var out []string
	for _, op := range ops {
		e := d.opErrs[op]
		out = append(out, fmt.Sprintf("%s: %d time(s) (first error: %s)", op, e.n, e.first))
	}
	return out
}

// fail stops the run on a permanent error.
func (d *driver) fail(err error) {
	d.fatal.CompareAndSwap(nil, &err)
	d.stopRun()
}

func (d *driver) run(ctx context.Context) (*Result, error) {
	d.start = time.Now()
	d.measStart.Store(d.start.UnixNano())
	rctx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	d.stopRun = stopRun
	d.hctx, d.hcancel = context.WithCancel(context.WithoutCancel(ctx))
	defer d.hcancel()
	d.callCtx = d.hctx
	if _, ok := d.ad.(PoolOnly); ok && d.conns != nil {
		d.callCtx = workerCtx(d.hctx)
		defer context.AfterFunc(d.hctx, d.conns.interrupt)()
	}

	workload := d.comparability(ctx)
	if err := d.adoptLeftovers(ctx); err != nil {
		return nil, err
	}

	var bg sync.WaitGroup // helpers: ticker, stats, listener
	helpers, stopHelpers := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHelpers()
	stats := newStatsCache()
	bg.Add(1)
	go func() { defer bg.Done(); stats.loop(helpers, d.ad) }()
	if m, ok := d.ad.(Maintainer); ok && m.MaintainEvery() > 0 {
		bg.Add(1)
		go func() { defer bg.Done(); d.maintain(helpers, m) }()
	}
	if n, ok := d.ad.(Notifier); ok && d.sc.Wakeup == "notify" && n.Channel() != "" {
		bg.Add(1)
		go func() { defer bg.Done(); d.listen(helpers, n.Channel()) }()
	} else if d.sc.Wakeup == "notify" {
		d.note("wakeup notify: adapter %s sends no NOTIFY; consumers poll", d.sc.Adapter)
	}
	tickDone := make(chan struct{})
	stopTicks := make(chan struct{})
	go func() { defer close(tickDone); d.tickLoop(stopTicks, stats) }()

	var prod, cons sync.WaitGroup
	for i := 0; i < d.sc.Producers; i++ {
		prod.Add(1)
		go func() { defer prod.Done(); d.producer() }()
	}
	stopCons := make(chan struct{})
	var workErr chan error
	// A scenario that opens with a burndown inserts its backlog before any
	// consumer runs.
	d.paused.Store(d.sc.Phases[0].Profile == ProfileBurndown)
	if w, ok := d.ad.(Worker); ok {
		workErr = make(chan error, 1)
		wctx, wcancel := context.WithCancel(d.hctx)
		go func() { <-stopCons; wcancel() }()
		go func() {
			// The library's workers cannot be paused: start them once
			// the opening burndown's insert is done.
			for d.paused.Load() && wctx.Err() == nil {
				time.Sleep(10 * time.Millisecond)
			}
			workErr <- w.Work(wctx, d.workParams())
		}()
	} else {
		for i := 0; i < d.sc.Consumers; i++ {
			cons.Add(1)
			go func() { defer cons.Done(); d.consumer(i, stopCons) }()
		}
	}

	d.runPhases(rctx)
	close(d.batches)
	prod.Wait()
	if d.sc.Drain > 0 && rctx.Err() == nil {
		d.drain(rctx, d.sc.Drain.D())
	}
	close(stopCons)
	// Consumers finish the jobs in hand; a dead server must not hang us.
	consDone := make(chan struct{})
	go func() {
		cons.Wait()
		if workErr != nil {
			if err := <-workErr; err != nil && !errors.Is(err, context.Canceled) {
				d.note("workers: %v", err)
			}
		}
		close(consDone)
	}()
	select {
	case <-consDone:
	case <-time.After(30 * time.Second):
		d.note("consumers did not finish their jobs within 30s of the stop; their jobs stay in flight")
		d.hcancel()
		<-consDone
	}
	close(stopTicks)
	<-tickDone
	stopHelpers()
	bg.Wait()

	res := d.result(workload)
	if fp := d.fatal.Load(); fp != nil {
		return res, *fp
	}
	return res, nil
}

// adoptLeftovers numbers this run's jobs above any left in the queue by an
// earlier run (or an earlier process), so their sequence numbers cannot be
// mistaken for ours: they are worked like any job but kept out of the books.
func (d *driver) adoptLeftovers(ctx context.Context) error {
	qctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	// A session the server ends (a restart, pg_terminate_backend) is
	// retried here as everywhere else in the run.
	var old []int64
	err := retry(qctx, func() error {
		var err error
		old, err = d.ad.Pending(qctx)
		return err
	}, func(err error) bool { return classify(err) != errPermanent }, nil)
	if err != nil {
		return fmt.Errorf("sqlload: run: list jobs already in the queue: %w", err)
	}
	if len(old) == 0 {
		return nil
	}
	base := int64(0)
	for _, s := range old {
		base = max(base, s)
	}
	d.seq.Store(base)
	d.ledger.base = base
	d.backlog.Store(int64(len(old)))
	d.note("the queue held %d job(s) from before this run: they are worked but kept out of the integrity count", len(old))
	return nil
}

// drain lets consumers work off the backlog (producers stopped) for up to
// limit.
func (d *driver) drain(ctx context.Context, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for d.backlog.Load() > 0 && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// resetMeasured starts the measured part of the run (warm-up over).
func (d *driver) resetMeasured() {
	d.measMu.Lock()
	defer d.measMu.Unlock()
	for _, h := range []*hist{d.enqH, d.deqH, d.compH, d.waitH, d.e2eH} {
		h.reset()
	}
	d.measEnq.Store(0)
	d.measComp.Store(0)
	d.measStart.Store(time.Now().UnixNano())
}

func (d *driver) setTarget(r float64) { d.targetRate.Store(math.Float64bits(r)) }
func (d *driver) target() float64     { return math.Float64frombits(d.targetRate.Load()) }
