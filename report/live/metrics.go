package live

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pgqtune/pgqtune/runrec"
)

// metrics are the series the server exposes. Counters are totals since the
// start of the run; gauges are the latest second or sampler tick.
type metrics struct {
	enqueued, completed, failed, dbErrors, connWaits prometheus.Counter
	throughput, enqueueRate, targetRate              prometheus.Gauge
	latency                                          prometheus.Histogram
	depth, oldestPending                             prometheus.Gauge
	findings                                         prometheus.Gauge
	lastTick, warmup                                 prometheus.Gauge

	lockWaiting, activeBackends, idleInXact prometheus.Gauge
	waitingOn                               *prometheus.GaugeVec
	walBytes                                prometheus.Counter
	checkpoints                             *prometheus.CounterVec
	deadTuples                              *prometheus.GaugeVec
	autovacuums                             *prometheus.CounterVec
	oldestXminAge                           prometheus.Gauge
}

const ns = "pgqtune"

func newMetrics(reg prometheus.Registerer) *metrics {
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: name, Help: help})
		f(c)
		return c
	}
	gauge := func(name, help string) prometheus.Gauge {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: name, Help: help})
		f(g)
		return g
	}
	m := &metrics{
		enqueued:       counter("jobs_enqueued_total", "Jobs enqueued since the run started."),
		completed:      counter("jobs_completed_total", "Jobs completed since the run started."),
		failed:         counter("jobs_failed_total", "Jobs that failed since the run started."),
		dbErrors:       counter("workload_db_errors_total", "Database errors the workload saw (and retried)."),
		connWaits:      counter("workload_conn_waits_total", "Workload operations that waited for a pool connection."),
		throughput:     gauge("throughput_jobs_per_second", "Jobs completed in the last second."),
		enqueueRate:    gauge("enqueue_jobs_per_second", "Jobs enqueued in the last second."),
		targetRate:     gauge("target_enqueue_jobs_per_second", "The scenario's intended enqueue rate (0 when closed loop)."),
		depth:          gauge("queue_depth_jobs", "Jobs waiting at the end of the last second."),
		oldestPending:  gauge("queue_oldest_pending_seconds", "Age of the oldest waiting job."),
		findings:       gauge("findings", "Throughput findings so far."),
		lastTick:       gauge("last_tick_timestamp_seconds", "When the last workload second started (unix time)."),
		warmup:         gauge("warmup", "1 while the run warms up (its seconds are left out of the totals and the report)."),
		lockWaiting:    gauge("lock_waiting_sessions", "Sessions waiting on a heavyweight lock."),
		activeBackends: gauge("active_backends", "Active client backends."),
		idleInXact:     gauge("idle_in_transaction_backends", "Client backends idle in transaction."),
		walBytes:       counter("wal_bytes_total", "WAL bytes written since the run started."),
		oldestXminAge:  gauge("oldest_xmin_age_transactions", "Age of the oldest xmin horizon holder, in transactions."),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "job_latency_seconds",
			Help:    "End-to-end latency (intended enqueue time to completion) of completed jobs, rebuilt from each second's recorded percentiles: query it with histogram_quantile over rate().",
			Buckets: latencyBuckets}),
		waitingOn: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "active_backends_by_wait",
			Help: "Active backends by wait event type (CPU when not waiting)."}, []string{"wait_event_type"}),
		checkpoints: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "checkpoints_total",
			Help: "Checkpoints since the run started, by kind."}, []string{"kind"}),
		deadTuples: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "dead_tuples",
			Help: "n_dead_tup of each queue table."}, []string{"table"}),
		autovacuums: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "autovacuums_total",
			Help: "Autovacuum runs on each queue table since the run started."}, []string{"table"}),
	}
	f(m.latency)
	f(m.waitingOn)
	f(m.checkpoints)
	f(m.deadTuples)
	f(m.autovacuums)
	return m
}

func (m *metrics) tick(t runrec.WorkloadTick) {
	// Totals match the report, which leaves the warm-up out; the gauges
	// show every second, so a dashboard sees the run start.
	if t.Warmup {
		m.warmup.Set(1)
	} else {
		m.warmup.Set(0)
		m.enqueued.Add(float64(max(t.Enqueued, 0)))
		m.completed.Add(float64(max(t.Completed, 0)))
		m.failed.Add(float64(max(t.Failed, 0)))
		m.dbErrors.Add(float64(max(t.Errors, 0)))
		m.connWaits.Add(float64(max(t.ConnWaits, 0)))
	}
	m.throughput.Set(float64(t.Completed))
	m.enqueueRate.Set(float64(t.Enqueued))
	m.targetRate.Set(t.TargetRate)
	if t.Depth >= 0 {
		m.depth.Set(float64(t.Depth))
	}
	if t.OldestPendingAgeS >= 0 {
		m.oldestPending.Set(t.OldestPendingAgeS)
	}
	if l := t.LatencyMs; l != nil && !t.Warmup {
		observeSecond(m.latency, l, t.Completed)
	}
	m.lastTick.Set(float64(t.T.UnixNano()) / 1e9)
}

// latencyBuckets span a fast queue (1 ms) to a stalled one (a minute).
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// observeSecond feeds one second's jobs into the histogram. The driver
// hands over that second's percentiles, not each job's latency, so the jobs
// are placed by them: half at p50, the next 45% at p95, 4% at p99 and the
// slowest 1% at max. Each job lands in the bucket of a latency no lower
// than its own, so a histogram_quantile over these buckets never reports a
// queue faster than it was.
func observeSecond(h prometheus.Histogram, l *runrec.Percentiles, completed int64) {
	n := l.Count
	if n <= 0 {
		n = completed
	}
	if n <= 0 {
		return
	}
	placed := int64(0)
	for _, band := range []struct {
		share, ms float64
	}{{0.5, l.P50}, {0.45, l.P95}, {0.04, l.P99}, {0.01, l.Max}} {
		k := int64(float64(n)*band.share + 0.5)
		if band.ms == l.Max {
			k = n - placed // the rest, so every job is counted once
		}
		for range k {
			h.Observe(band.ms / 1000)
		}
		placed += k
	}
}

func (m *metrics) sample(s runrec.Sample) {
	if s.Locks != nil {
		m.lockWaiting.Set(float64(s.Locks.Waiting))
	}
	if a := s.Activity; a != nil {
		m.activeBackends.Set(float64(a.Active))
		m.idleInXact.Set(float64(a.IdleInXact))
		byType := map[string]float64{}
		for k, n := range a.ByWait {
			typ, _, _ := strings.Cut(k, ":")
			byType[typ] += float64(n)
		}
		m.waitingOn.Reset()
		for typ, n := range byType {
			m.waitingOn.WithLabelValues(typ).Set(n)
		}
	}
	if w := s.WAL; w != nil {
		b := w.LSNBytes
		if w.HasStatWAL && w.Bytes > 0 {
			b = w.Bytes
		}
		m.walBytes.Add(float64(max(b, 0)))
	}
	if c := s.Checkpointer; c != nil {
		m.checkpoints.WithLabelValues("timed").Add(float64(max(c.Timed, 0)))
		m.checkpoints.WithLabelValues("requested").Add(float64(max(c.Requested, 0)))
	}
	for _, t := range s.Tables {
		if !t.Queue {
			continue
		}
		m.deadTuples.WithLabelValues(t.Relation).Set(float64(t.DeadTup))
		m.autovacuums.WithLabelValues(t.Relation).Add(float64(max(t.Autovacuum, 0)))
	}
	var oldest int64
	for _, h := range s.XminHolders {
		oldest = max(oldest, h.XminAge)
	}
	if s.XminHolders != nil {
		m.oldestXminAge.Set(float64(oldest))
	}
}
