package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/analyze/collect"
	"github.com/pgqtune/pgqtune/internal/pgserver"
	"github.com/pgqtune/pgqtune/report/live"
	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sqlload"
)

// WorkloadApp is the application_name of every workload session; the
// sampler tells workload from everything else by it.
const WorkloadApp = "pgqtune-workload"

// RunOptions configure Run. Zero values take the defaults noted.
type RunOptions struct {
	// DSN of the target database; "" starts a throwaway local cluster.
	DSN string
	// Schema for pgqtune's queue tables; default "pgqtune". With a DSN, an
	// existing schema pgqtune did not create is refused unless SchemaExplicit.
	Schema         string
	SchemaExplicit bool
	// Keep leaves the queue tables in place after a run against a DSN.
	Keep bool
	// Scenario is a built-in name or a YAML path; default "baseline".
	Scenario string
	// Overrides from the command line.
	Adapter   string
	Duration  time.Duration
	Rate      float64
	Producers int
	Consumers int
	// Out is the run directory; default ./pgqtune-runs/<id>.
	Out string
	// Interval is the sampler tick; default 1s.
	Interval time.Duration
	// Progress receives the live progress line; nil is quiet.
	Progress io.Writer
	// ProgressEvery is the seconds between progress lines (-P); 0 means 5.
	ProgressEvery int
	// MetricsAddr serves Prometheus metrics while running when not empty.
	MetricsAddr string
	// Store, when set, is a DSN where the finished report is also kept (the
	// pgqtune_results schema) so a team can share history.
	Store string
	// ExportPgbench writes the scenario's SQL as pgbench scripts there and
	// returns without running.
	ExportPgbench string
	// BeforeWorkload runs after setup and before the load (validate applies
	// DDL here).
	BeforeWorkload func(ctx context.Context, t Target) error
	// OnStart runs in its own goroutine once the load runs (tests inject
	// faults here); its context ends with the workload.
	OnStart func(ctx context.Context, t Target)
	// ServerSettings are extra postgresql.conf settings for the throwaway
	// cluster.
	ServerSettings map[string]string
}

// Outcome is what a run produced.
type Outcome struct {
	Dir    string
	Report *runrec.Report
	Run    *runrec.Run
	// Interrupted is set when the run ended early (signal or lost server).
	Interrupted string
	// CleanupErr is why pgqtune's schema on --dsn could not be dropped
	// after the run; the run and its report are complete, the schema is
	// left behind.
	CleanupErr error
}

// Run drives a scenario against the target, records everything, and writes
// the report. A cancelled ctx (Ctrl-C) stops the load and still writes a
// report of what was seen; Outcome.Interrupted says so.
func Run(ctx context.Context, o RunOptions) (outcome *Outcome, err error) {
	if o.SchemaExplicit && strings.TrimSpace(o.Schema) == "" {
		return nil, badInputf("--schema must not be empty")
	}
	o.Schema = cmp.Or(o.Schema, "pgqtune")
	if err := checkSchemaName(o.Schema); err != nil {
		return nil, err
	}
	o.Scenario = cmp.Or(o.Scenario, "baseline")
	o.Interval = cmp.Or(o.Interval, time.Second)
	if o.Duration < 0 {
		return nil, badInputf("--duration must be positive, got %s", o.Duration)
	}
	if math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0) {
		return nil, badInputf("--rate must be a finite number of jobs/s, got %g", o.Rate)
	}
	if err := checkAddr(o.MetricsAddr); err != nil {
		return nil, err
	}

	sc, err := sqlload.LoadScenario(o.Scenario)
	if err != nil {
		return nil, badInput(err)
	}
	if err := sc.Apply(sqlload.Overrides{Adapter: o.Adapter, Duration: o.Duration, Rate: o.Rate,
		Producers: o.Producers, Consumers: o.Consumers}); err != nil {
		return nil, badInput(err)
	}
	if o.ExportPgbench != "" {
		if err := sqlload.ExportPgbench(sc, o.Schema, o.ExportPgbench); err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				return nil, badInputf("--export-pgbench %s: %v", o.ExportPgbench, pe)
			}
			return nil, fmt.Errorf("export pgbench scripts: %w", err)
		}
		return &Outcome{Dir: o.ExportPgbench}, nil
	}

	started := time.Now().UTC()
	id := started.Format("20060102-150405") + "-" + sanitizeID(sc.Name)
	dir := cmp.Or(o.Out, filepath.Join(runrec.DefaultRoot, id))
	discard, err := prepareDir(dir)
	if err != nil {
		return nil, err
	}
	recorded := false
	defer func() {
		if !recorded {
			discard()
		}
	}()

	// Detach cleanup from ctx: after Ctrl-C we still stop the server and
	// write the report.
	bg := context.WithoutCancel(ctx)

	t := Target{DSN: o.DSN, Schema: o.Schema}
	if t.DSN == "" {
		if o.Progress != nil {
			fmt.Fprintln(o.Progress, "starting a throwaway Postgres cluster...")
		}
		srv, err := pgserver.Start(ctx, pgserver.Options{Fsync: true, Settings: o.ServerSettings})
		if err != nil {
			return nil, fmt.Errorf("start throwaway cluster: %w", err)
		}
		defer srv.Stop()
		t.Server = srv
		t.DSN = srv.DSN("")
	}
	version, err := checkConnect(ctx, t.DSN)
	if err != nil {
		return nil, err
	}
	createdSchema, err := claimSchema(ctx, t.DSN, t.Schema, o.SchemaExplicit)
	if err != nil {
		return nil, err
	}
	if t.Server == nil && createdSchema && !o.Keep {
		defer func() {
			if derr := dropSchema(bg, t.DSN, t.Schema); derr != nil && outcome != nil {
				outcome.CleanupErr = derr
			}
		}()
	}
	if err := sqlload.Setup(ctx, t.DSN, t.Schema, sc); err != nil {
		return nil, fmt.Errorf("set up the %s queue in schema %s: %w", sc.Adapter, t.Schema, err)
	}
	if o.BeforeWorkload != nil {
		if err := o.BeforeWorkload(ctx, t); err != nil {
			return nil, fmt.Errorf("before workload: %w", err)
		}
	}

	meta := runrec.Meta{
		ID:               id,
		Mode:             "run",
		Scenario:         sc.Name,
		ScenarioYAML:     sc.YAML(),
		StartedAt:        started,
		ServerVersion:    version,
		Target:           Describe(t.DSN),
		Schema:           t.Schema,
		SamplerIntervalS: o.Interval.Seconds(),
	}
	if t.Server != nil {
		meta.Target = "throwaway local cluster (" + meta.Target + ")"
	}

	sampler, err := collect.New(ctx, collect.Config{
		DSN:          t.DSN,
		Interval:     o.Interval,
		QueueTables:  queueTables(sc, t.Schema),
		WorkloadApps: []string{WorkloadApp},
		HostStats:    t.Server != nil || isLocal(t.DSN),
	})
	if err != nil {
		return nil, fmt.Errorf("start sampler: %w", err)
	}
	defer sampler.Close()
	info := sampler.Server()
	meta.ServerVersion = cmp.Or(info.Version, version)
	meta.ServerVersionNum = info.VersionNum
	meta.Settings = info.Settings
	meta.QueueTables = sampler.QueueTables()
	meta.Libraries = sampler.Libraries()
	if err := runrec.WriteJSON(filepath.Join(dir, runrec.MetaFile), &meta); err != nil {
		return nil, err
	}
	recorded = true

	// A run directory that stops taking writes (disk full) ends the load:
	// a run nobody can read back is not worth the load on the target.
	lctx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	rec, err := newRecorder(dir, o.MetricsAddr)
	if err != nil {
		return nil, err
	}
	rec.onFail = abort
	defer rec.close()

	// The sampler runs until the workload is done, then takes one more tick.
	sctx, stopSampler := context.WithCancel(bg)
	var swg sync.WaitGroup
	swg.Add(1)
	var samplerErr error
	go func() {
		defer swg.Done()
		samplerErr = sampler.Run(sctx, rec.sample)
	}()

	wctx, stopHooks := context.WithCancel(lctx)
	if o.OnStart != nil {
		go o.OnStart(wctx, t)
	}
	res, runErr := sqlload.Run(lctx, &sqlload.RunParams{
		DSN:           t.DSN,
		Schema:        t.Schema,
		Scenario:      sc,
		OnTick:        rec.tick,
		Progress:      o.Progress,
		ProgressEvery: o.ProgressEvery,
		AppName:       WorkloadApp,
	})
	stopHooks()
	time.Sleep(min(o.Interval, 2*time.Second))
	stopSampler()
	swg.Wait()

	out := &Outcome{Dir: dir}
	if werr := rec.failed(); werr != nil {
		// Nothing more is written: the directory already refused a write.
		return out, fmt.Errorf("cannot write the run directory, the workload was stopped: %w", werr)
	}
	if ctx.Err() != nil {
		out.Interrupted = "interrupted: " + context.Cause(ctx).Error()
	}
	if runErr != nil && res == nil {
		out.Interrupted = cmp.Or(out.Interrupted, "workload failed: "+redact(runErr.Error(), t.DSN))
	}

	meta.EndedAt = time.Now().UTC()
	meta.Interrupted = out.Interrupted
	// Statements may first appear late: the sampler's last decision holds
	// every one it saw.
	meta.Libraries, meta.StatementRoles = sampler.Libraries(), sampler.StatementRoles()
	meta.Notes = append(meta.Notes, sampler.Notes()...)
	if samplerErr != nil && !errors.Is(samplerErr, context.Canceled) {
		meta.Notes = append(meta.Notes, "sampler stopped early: "+redact(samplerErr.Error(), t.DSN))
	}
	if res != nil {
		integ := res.Integrity
		meta.Integrity = &integ
		lat := res.LatencyMs
		meta.LatencyMs = &lat
		meta.Operations = res.Operations
		meta.Phases = res.Phases
		meta.MaxSustainable = res.MaxSustainable
		meta.Knee = res.Knee
		meta.Workload = res.Workload
		if len(res.QueueTables) > 0 && len(meta.QueueTables) == 0 {
			meta.QueueTables = res.QueueTables
		}
		meta.Notes = append(meta.Notes, res.Notes...)
	}
	if runErr != nil && res != nil {
		meta.Notes = append(meta.Notes, "workload error: "+redact(runErr.Error(), t.DSN))
	}
	if err := runrec.WriteJSON(filepath.Join(dir, runrec.MetaFile), &meta); err != nil {
		return out, err
	}

	rep, run, err := conclude(bg, dir, t.DSN, t.DSN, o.Store, meta.QueueTables)
	if err != nil {
		return out, err
	}
	rec.findings(len(rep.Findings))
	out.Report, out.Run = rep, run
	if runErr != nil && res == nil {
		return out, fmt.Errorf("workload: %s", redact(runErr.Error(), t.DSN))
	}
	return out, nil
}

// queueTables names the scenario adapter's tables so the sampler watches
// them from the first tick (and nothing else's queues in the database).
// Archive tables hold finished jobs: they are not queues to sample.
func queueTables(sc *sqlload.Scenario, schema string) []string {
	var out []string
	for _, name := range sc.QueueTables(schema) {
		parts := strings.SplitN(name, ".", 2)
		for i, p := range parts {
			if len(p) >= 2 && p[0] == '"' && p[len(p)-1] == '"' {
				parts[i] = strings.ReplaceAll(p[1:len(p)-1], `""`, `"`)
			}
		}
		table := parts[len(parts)-1]
		if strings.HasSuffix(table, "_archive") || (sc.Adapter == "pgmq" && strings.HasPrefix(table, "a_")) {
			continue
		}
		out = append(out, strings.Join(parts, "."))
	}
	return out
}

// claimSchema connects to dsn and makes sure schema is pgqtune's to use
// (sqlload.ClaimSchema). It reports whether pgqtune owns it.
func claimSchema(ctx context.Context, dsn, schema string, explicit bool) (bool, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return false, fmt.Errorf("connect to %s: %s", Describe(dsn), rootCause(err, dsn))
	}
	defer conn.Close(context.Background())
	owned, err := sqlload.ClaimSchema(ctx, conn, schema, explicit)
	if errors.Is(err, sqlload.ErrSchemaNotOurs) {
		return false, badInputf("schema %q already exists and was not created by pgqtune; refusing to touch it (name it with --schema to use it anyway, or pick another)", schema)
	}
	return owned, err
}

// dropSchema drops pgqtune's own schema after a run on --dsn
// (sqlload.DropSchema), within 30 s.
func dropSchema(ctx context.Context, dsn, schema string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connect to %s: %s", Describe(dsn), rootCause(err, dsn))
	}
	defer conn.Close(context.Background())
	if err := sqlload.DropSchema(ctx, conn, schema); err != nil {
		return fmt.Errorf("%s", redact(err.Error(), dsn))
	}
	return nil
}

// prepareDir creates the run directory and proves it is writable before
// anything touches the database. The returned discard removes the
// directories it created while they are still empty: a run that fails
// before recording anything (a mistyped DSN) leaves no empty run behind.
func prepareDir(dir string) (discard func(), err error) {
	var made []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || d == filepath.Dir(d) {
			break
		}
		made = append(made, d)
	}
	discard = func() {
		for _, d := range made {
			if os.Remove(d) != nil {
				return
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return discard, badInputf("cannot create run directory %s: %v", dir, errors.Unwrap(err))
	}
	probe := filepath.Join(dir, ".pgqtune-write-test")
	if err := os.WriteFile(probe, []byte("ok"), 0o644); err != nil {
		discard()
		return discard, badInputf("run directory %s is not writable: %v", dir, errors.Unwrap(err))
	}
	os.Remove(probe)
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		for _, e := range entries {
			if e.Name() == runrec.MetaFile {
				return discard, badInputf("run directory %s already holds a run; choose an empty --out", dir)
			}
		}
	}
	return discard, nil
}

func sanitizeID(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(filepath.Base(s)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == '.':
			b.WriteByte('-')
		}
	}
	return cmp.Or(strings.TrimSuffix(strings.TrimSuffix(b.String(), "-yaml"), "-yml"), "run")
}

func isLocal(dsn string) bool {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return false
	}
	h := cfg.Host
	return strings.HasPrefix(h, "/") || h == "localhost" || strings.HasPrefix(h, "127.") || h == "::1"
}

// recorder appends ticks and samples to the run directory and feeds live
// metrics. The first write error is kept; the run goes on (and the report
// says what was lost) rather than dying mid-load.
type recorder struct {
	mu       sync.Mutex
	workload *runrec.Appender
	samples  *runrec.Appender
	live     *live.Server
	err      error
	// onFail, when set, is called once with the first write error.
	onFail func(error)
}

func newRecorder(dir, metricsAddr string) (*recorder, error) {
	w, err := runrec.NewAppender(filepath.Join(dir, runrec.WorkloadFile), true)
	if err != nil {
		return nil, err
	}
	s, err := runrec.NewAppender(filepath.Join(dir, runrec.SamplesFile), true)
	if err != nil {
		w.Close()
		return nil, err
	}
	r := &recorder{workload: w, samples: s}
	if metricsAddr != "" {
		srv, err := live.Start(metricsAddr)
		if err != nil {
			w.Close()
			s.Close()
			return nil, badInputf("--metrics-addr %s: %v", metricsAddr, err)
		}
		r.live = srv
	}
	return r, nil
}

func (r *recorder) tick(t runrec.WorkloadTick) {
	if err := r.workload.Append(t); err != nil {
		r.fail(err)
	}
	if r.live != nil {
		r.live.Tick(t)
	}
}

func (r *recorder) sample(s runrec.Sample) error {
	if err := r.samples.Append(s); err != nil {
		r.fail(err)
		return err
	}
	if r.live != nil {
		r.live.Sample(s)
	}
	return nil
}

func (r *recorder) findings(n int) {
	if r.live != nil {
		r.live.SetFindings(n)
	}
}

func (r *recorder) fail(err error) {
	r.mu.Lock()
	first := r.err == nil
	if first {
		r.err = err
	}
	r.mu.Unlock()
	if first && r.onFail != nil {
		r.onFail(err)
	}
}

// failed returns the first write error, if any.
func (r *recorder) failed() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *recorder) close() {
	r.workload.Close()
	r.samples.Close()
	if r.live != nil {
		r.live.Close()
	}
}

// checkAddr refuses a --metrics-addr that cannot be listened on before
// anything starts (a cluster, a schema).
func checkAddr(addr string) error {
	if addr == "" {
		return nil
	}
	if _, err := net.ResolveTCPAddr("tcp", addr); err != nil {
		return badInputf("--metrics-addr %s: %v", addr, err)
	}
	return nil
}

// checkSchemaName refuses schema names pgqtune cannot carry safely. Names
// are always quoted as identifiers, but the sampler names tables as
// schema.table (a dot in the schema would be misread), Postgres truncates
// names past 63 bytes (the marked schema could then not be found to drop
// it), and a NUL cannot be sent at all.
func checkSchemaName(s string) error {
	switch {
	case strings.ContainsAny(s, ".\x00"):
		return badInputf("--schema %q: a schema name with a dot or NUL cannot be used", s)
	case len(s) > 63:
		return badInputf("--schema %q: longer than Postgres' 63-byte identifier limit", s)
	}
	return nil
}
