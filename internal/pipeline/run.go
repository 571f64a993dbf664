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
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/internal/connstr"
	"github.com/pgqtune/pgqtune/internal/pgserver"
	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sampler"
	"github.com/pgqtune/pgqtune/sqlload"
	// Every adapter a scenario may name.
	_ "github.com/pgqtune/pgqtune/sqlload/adapter/all"
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
	sc, err := o.scenario()
	if err != nil {
		return nil, err
	}
	s, err := newSession(ctx, "run", sanitizeID(sc.Name), o.Out, o.Interval)
	if err != nil {
		return nil, err
	}
	defer s.discardUnrecorded()

	t, err := openRunTarget(ctx, o, sc)
	if err != nil {
		return nil, err
	}
	defer func() {
		cerr := t.close(s.bg)
		switch {
		case cerr == nil:
		case outcome != nil:
			outcome.CleanupErr = cerr
		default:
			// No outcome to carry it (the run failed before it had one):
			// the user still learns the schema was left behind.
			err = errors.Join(err, schemaLeftError(cerr))
		}
	}()

	s.meta.Scenario, s.meta.ScenarioYAML = sc.Name, sc.YAML()
	s.meta.Target, s.meta.Schema = Describe(t.DSN), t.Schema
	if t.Server != nil {
		s.meta.Target = "throwaway local cluster (" + s.meta.Target + ")"
	}
	if err := s.startSampler(ctx, sampler.Config{
		DSN:          t.DSN,
		Interval:     o.Interval,
		QueueTables:  queueTables(sc, t.Schema),
		WorkloadApps: []string{WorkloadApp},
		HostStats:    t.Server != nil || isLocal(t.DSN),
	}, t.version); err != nil {
		return nil, fmt.Errorf("start sampler: %w", err)
	}
	defer s.sampler.Close()
	if err := s.saveMeta(); err != nil {
		return nil, err
	}
	if err := s.openRecorder(o.MetricsAddr); err != nil {
		return nil, err
	}
	defer s.rec.close()

	res, runErr, samplerErr := driveWorkload(ctx, s, o, sc, t.Target)

	out, err := s.stopped(ctx, "the workload was stopped")
	if err != nil {
		return out, err
	}
	if runErr != nil && res == nil {
		out.Interrupted = cmp.Or(out.Interrupted, "workload failed: "+redact(runErr.Error(), t.DSN))
	}
	s.closeMeta(out, samplerErr, t.DSN)
	recordResult(&s.meta, res, runErr, t.DSN)
	if err := s.conclude(out, t.DSN, t.DSN, o.Store); err != nil {
		return out, err
	}
	if runErr != nil && res == nil {
		return out, fmt.Errorf("workload: %s", redact(runErr.Error(), t.DSN))
	}
	return out, nil
}

// ExportPgbench writes the scenario o names, with o's overrides, as
// pgbench scripts into dir, for the same SQL driven by pgbench; nothing
// runs and no database is reached. Errors wrapping ErrBadInput are the
// caller's to fix.
func ExportPgbench(o RunOptions, dir string) error {
	sc, err := o.scenario()
	if err != nil {
		return err
	}
	if err := sqlload.ExportPgbench(sc, o.Schema, dir); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return badInputf("--export-pgbench %s: %v", dir, pe)
		}
		return fmt.Errorf("export pgbench scripts: %w", err)
	}
	return nil
}

// scenario checks o, fills its defaults, and loads the scenario with the
// command line's overrides applied, before anything starts.
func (o *RunOptions) scenario() (*sqlload.Scenario, error) {
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
	return sc, nil
}

// runTarget is the database a run drives, ready for the load: a throwaway
// cluster or --dsn, with pgqtune's schema claimed and the queue set up.
type runTarget struct {
	Target
	// version is the connection check's server version.
	version string
	// dropSchema: pgqtune created its schema on --dsn and drops it at the
	// end (unless --keep).
	dropSchema bool
}

// openRunTarget starts the throwaway cluster (no DSN) or reaches o.DSN,
// claims pgqtune's schema, sets up the scenario's queue and runs
// o.BeforeWorkload. On an error, what it started is undone.
func openRunTarget(ctx context.Context, o RunOptions, sc *sqlload.Scenario) (*runTarget, error) {
	t := &runTarget{Target: Target{DSN: o.DSN, Schema: o.Schema}}
	if err := t.open(ctx, o, sc); err != nil {
		// The user learns of a schema left behind even when the run never
		// started: it is theirs to drop.
		if cerr := t.close(context.WithoutCancel(ctx)); cerr != nil {
			err = errors.Join(err, schemaLeftError(cerr))
		}
		return nil, err
	}
	return t, nil
}

func (t *runTarget) open(ctx context.Context, o RunOptions, sc *sqlload.Scenario) error {
	if t.DSN == "" {
		if o.Progress != nil {
			fmt.Fprintln(o.Progress, "starting a throwaway Postgres cluster...")
		}
		srv, err := pgserver.Start(ctx, pgserver.Options{Fsync: true, Settings: o.ServerSettings})
		if err != nil {
			return fmt.Errorf("start throwaway cluster: %w", err)
		}
		t.Server = srv
		t.DSN = srv.DSN("")
	}
	version, err := checkConnect(ctx, t.DSN)
	if err != nil {
		return err
	}
	t.version = version
	created, err := sqlload.ClaimSchemaDSN(ctx, t.DSN, t.Schema, o.SchemaExplicit)
	if errors.Is(err, sqlload.ErrSchemaNotOurs) {
		return badInputf("schema %q already exists and was not created by pgqtune; refusing to touch it (name it with --schema to use it anyway, or pick another)", t.Schema)
	}
	if err != nil {
		return schemaError(err, t.DSN)
	}
	t.dropSchema = t.Server == nil && created && !o.Keep
	if err := sqlload.Setup(ctx, t.DSN, t.Schema, sc); err != nil {
		return fmt.Errorf("set up the %s queue in schema %s: %w", sc.Adapter, t.Schema, err)
	}
	if o.BeforeWorkload != nil {
		if err := o.BeforeWorkload(ctx, t.Target); err != nil {
			return fmt.Errorf("before workload: %w", err)
		}
	}
	return nil
}

// close drops pgqtune's schema when it created it on --dsn, and stops the
// throwaway cluster. Its error is why the schema could not be dropped.
func (t *runTarget) close(ctx context.Context) error {
	var err error
	if t.dropSchema {
		if derr := sqlload.DropSchemaDSN(ctx, t.DSN, t.Schema); derr != nil {
			err = schemaError(derr, t.DSN)
		}
	}
	if t.Server != nil {
		t.Server.Stop()
	}
	return err
}

// driveWorkload runs the scenario's load while the sampler records, then
// lets the sampler take one more tick. A run directory that stops taking
// writes (disk full) ends the load: a run nobody can read back is not
// worth the load on the target.
func driveWorkload(ctx context.Context, s *session, o RunOptions, sc *sqlload.Scenario, t Target) (res *sqlload.Result, runErr, samplerErr error) {
	lctx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	s.rec.onFail = abort

	// The sampler runs until the workload is done (on bg: a Ctrl-C still
	// gets its last tick).
	sctx, stopSampler := context.WithCancel(s.bg)
	var swg sync.WaitGroup
	swg.Add(1)
	go func() {
		defer swg.Done()
		samplerErr = s.sampler.Run(sctx, s.rec.sample)
	}()

	wctx, stopHooks := context.WithCancel(lctx)
	if o.OnStart != nil {
		go o.OnStart(wctx, t)
	}
	res, runErr = sqlload.Run(lctx, &sqlload.RunParams{
		DSN:           t.DSN,
		Schema:        t.Schema,
		Scenario:      sc,
		OnTick:        s.rec.tick,
		Progress:      o.Progress,
		ProgressEvery: o.ProgressEvery,
		AppName:       WorkloadApp,
	})
	stopHooks()
	time.Sleep(min(o.Interval, 2*time.Second))
	stopSampler()
	swg.Wait()
	return res, runErr, samplerErr
}

// recordResult puts what the driver measured into run.json's metadata:
// integrity, latency, operations, phases, the workload it ran and its
// notes, and the error it ended with (passwords in dsn masked).
func recordResult(meta *runrec.Meta, res *sqlload.Result, runErr error, dsn string) {
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
		meta.Notes = append(meta.Notes, "workload error: "+redact(runErr.Error(), dsn))
	}
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

// schemaError words a failure of sqlload.ClaimSchemaDSN or DropSchemaDSN for
// the user: a failure to connect as checkConnect words one (the target
// named without its password, pgx's error cut to its root cause), anything
// else as sqlload said it, with the DSN's password masked (sqlload does not
// know how to; see internal/connstr).
func schemaError(err error, dsn string) error {
	var ce *sqlload.ConnectError
	if errors.As(err, &ce) {
		return fmt.Errorf("connect to %s: %s", Describe(dsn), rootCause(ce.Err, dsn))
	}
	return connstr.RedactErr(err, dsn)
}

// schemaLeftError is a failure to drop pgqtune's schema reported beside the
// error a run ended with, worded as the warning a finished run prints.
func schemaLeftError(err error) error {
	return fmt.Errorf("pgqtune's schema was left on the database: %w", err)
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
