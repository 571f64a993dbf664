package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/internal/connstr"
	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sampler"
	"github.com/pgqtune/pgqtune/sqlload"
)

// ObserveOptions configure Observe.
type ObserveOptions struct {
	// DSN of the database where the workload runs (required; PG* variables
	// fill what it leaves out).
	DSN string
	// Duration bounds the observation; 0 means until Ctrl-C or Command exits.
	Duration time.Duration
	// Out is the run directory; default ./pgqtune-runs/<id>.
	Out string
	// QueueTables are schema.table names; empty means auto-detect.
	QueueTables []string
	// Command, when set, is run as the workload; sampling stops when it exits.
	// run.json records it (passwords masked), its working directory and the
	// names of its environment variables, so validate can run it again.
	Command []string
	// CommandDir is the command's working directory; default the current one.
	CommandDir string
	// CommandEnv is the command's environment; nil means os.Environ().
	CommandEnv []string
	// Interval is the sampler tick; default 1s.
	Interval time.Duration
	// Progress receives progress lines; nil is quiet.
	Progress io.Writer
	// ProgressEvery is the seconds between progress lines (-P); 0 means 5.
	ProgressEvery int
	// Stdout/Stderr receive the command's output (default os.Stdout/Stderr).
	Stdout, Stderr io.Writer
	// MetricsAddr serves Prometheus metrics while observing when not empty.
	MetricsAddr string
	// Store, when set, is a DSN where the finished report is also kept.
	Store string
}

// Observe samples a database where someone else's queue runs, strictly
// read-only, measures throughput from the database side, then analyzes and
// reports like Run.
func Observe(ctx context.Context, o ObserveOptions) (*Outcome, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	s, err := newSession(ctx, "observe", "observe", o.Out, o.Interval)
	if err != nil {
		return nil, err
	}
	defer s.discardUnrecorded()
	version, err := checkConnect(ctx, o.DSN)
	if err != nil {
		return nil, err
	}

	s.meta.Scenario, s.meta.Target = "observe", Describe(o.DSN)
	if err := s.startSampler(ctx, sampler.Config{
		DSN:         o.DSN,
		Interval:    o.Interval,
		QueueTables: o.QueueTables,
		ReadOnly:    true,
		HostStats:   isLocal(o.DSN),
	}, version); err != nil {
		return nil, badInputf("start sampler on %s: %s", Describe(o.DSN), redact(err.Error(), o.DSN))
	}
	defer s.sampler.Close()
	if len(o.Command) > 0 {
		if err := o.prepareCommand(); err != nil {
			return nil, err
		}
		s.meta.Command = recordCommand(o.Command, o.CommandDir, o.CommandEnv, o.DSN)
		s.meta.Workload = map[string]any{"command": strings.Join(s.meta.Command.Args, " ")}
	}
	if err := s.saveMeta(); err != nil {
		return nil, err
	}
	announce(o.Progress, s.meta)
	if err := s.openRecorder(o.MetricsAddr); err != nil {
		return nil, err
	}
	defer s.rec.close()

	serr, cmdErr, err := watch(ctx, s, o)
	if err != nil {
		return nil, err
	}

	out, err := s.stopped(ctx, "observation stopped")
	if err != nil {
		return out, err
	}
	// The sampler keeps looking for queues while it runs.
	s.meta.QueueTables = s.sampler.QueueTables()
	if errors.Is(serr, context.DeadlineExceeded) {
		serr = nil // --duration ended it
	}
	s.closeMeta(out, serr, o.DSN)
	if cmdErr != nil {
		s.meta.Notes = append(s.meta.Notes, fmt.Sprintf("workload command exited with an error: %v", cmdErr))
	}
	// No hypopg in observe mode: it would need CREATE EXTENSION, a write.
	if err := s.conclude(out, readOnlyDSN(o.DSN), "", o.Store); err != nil {
		return out, err
	}
	return out, nil
}

// check refuses options Observe cannot use, before anything starts, and
// fills the defaults.
func (o *ObserveOptions) check() error {
	o.Interval = cmp.Or(o.Interval, time.Second)
	if o.Duration < 0 {
		return badInputf("--duration must be positive, got %s", o.Duration)
	}
	if err := checkAddr(o.MetricsAddr); err != nil {
		return err
	}
	for _, q := range o.QueueTables {
		if strings.Count(q, ".") != 1 || strings.HasPrefix(q, ".") || strings.HasSuffix(q, ".") {
			return badInputf("--queue-table %q: want SCHEMA.TABLE", q)
		}
	}
	return nil
}

// prepareCommand fills the workload command's environment (with the
// observed DSN in DSNEnvVar) and working directory, as it will run and as
// run.json records them.
func (o *ObserveOptions) prepareCommand() error {
	if o.CommandEnv == nil {
		o.CommandEnv = os.Environ()
	}
	o.CommandEnv = withDSNEnv(o.CommandEnv, o.DSN)
	if o.CommandDir == "" {
		dir, err := os.Getwd()
		if err != nil {
			return fmt.Errorf("observe: working directory: %w", err)
		}
		o.CommandDir = dir
	}
	return nil
}

// announce says what is being observed, or that no queue is known yet.
func announce(progress io.Writer, meta runrec.Meta) {
	if progress == nil {
		return
	}
	if len(meta.QueueTables) > 0 {
		fmt.Fprintf(progress, "observing %s; queue tables: %s\n", meta.Target, strings.Join(meta.QueueTables, ", "))
	} else {
		fmt.Fprintf(progress, "observing %s; no queue tables found yet: still looking for known queue tables and SKIP LOCKED claims (or name them with --queue-table)\n", meta.Target)
	}
}

// watch samples until ctx ends, --duration passes, the workload command
// exits (after one more tick) or the run directory refuses a write. It
// returns why the sampler stopped and how the command exited; err is a
// command that could not start.
func watch(ctx context.Context, s *session, o ObserveOptions) (samplerErr, cmdErr error, err error) {
	octx, stop := context.WithCancel(ctx)
	defer stop()
	s.rec.onFail = func(error) { stop() }
	if o.Duration > 0 {
		var cancel context.CancelFunc
		octx, cancel = context.WithTimeout(octx, o.Duration)
		defer cancel()
	}

	var cmdDone chan struct{}
	if len(o.Command) > 0 {
		cmd := exec.CommandContext(octx, o.Command[0], o.Command[1:]...)
		cmd.Stdout = cmp.Or[io.Writer](o.Stdout, os.Stdout)
		cmd.Stderr = cmp.Or[io.Writer](o.Stderr, os.Stderr)
		cmd.Env = o.CommandEnv
		cmd.Dir = o.CommandDir
		if err := cmd.Start(); err != nil {
			return nil, nil, badInputf("start workload command %q: %v", o.Command[0], err)
		}
		cmdDone = make(chan struct{})
		go func() {
			cmdErr = cmd.Wait()
			close(cmdDone)
			// One more tick after the command ends catches its last jobs.
			time.Sleep(o.Interval + o.Interval/2)
			stop()
		}()
	}

	samplerErr = s.sampler.Run(octx, observedSink(s, o))
	if cmdDone != nil {
		stop()
		<-cmdDone
	}
	return samplerErr, cmdErr, nil
}

// observedSink records each sample and the workload tick derived from it
// and the one before (observe has no driver to count jobs), and prints
// run's progress line over the ticks since the last one.
func observedSink(s *session, o ObserveOptions) func(runrec.Sample) error {
	var prev *runrec.Sample
	var mu sync.Mutex
	every := cmp.Or(o.ProgressEvery, 5)
	var recent []runrec.WorkloadTick
	return func(smp runrec.Sample) error {
		mu.Lock()
		defer mu.Unlock()
		if err := s.rec.sample(smp); err != nil {
			return err
		}
		t := sampler.ObservedTick(prev, &smp)
		s.rec.tick(t)
		cp := smp
		prev = &cp
		if o.Progress != nil {
			recent = append(recent, t)
			if len(recent) >= every {
				sqlload.FormatProgress(o.Progress, time.Since(s.started), recent)
				recent = recent[:0]
			}
		}
		return nil
	}
}

// readOnlyDSN makes every session opened with the DSN read-only.
func readOnlyDSN(dsn string) string {
	if strings.Contains(dsn, "://") {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		return dsn + sep + "default_transaction_read_only=on"
	}
	return strings.TrimSpace(dsn + " default_transaction_read_only=on")
}

// recordCommand is what run.json keeps of a workload command: its
// arguments with every password masked (the DSN's, PGPASSWORD, and any a
// connection string among the arguments carries), its directory, and the
// names, never the values, of its environment.
func recordCommand(args []string, dir string, env []string, dsn string) *runrec.Command {
	c := &runrec.Command{Dir: dir, Args: make([]string, len(args))}
	dsns := append([]string{dsn}, args...)
	for i, a := range args {
		c.Args[i] = connstr.Redact(a, dsns...)
		if c.Args[i] != a {
			c.PasswordMasked = true
		}
	}
	seen := map[string]bool{}
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		if name != "" && !seen[name] {
			seen[name] = true
			c.EnvNames = append(c.EnvNames, name)
			if sameDatabase(value, dsn) {
				c.DSNEnv = append(c.DSNEnv, name)
			}
		}
	}
	slices.Sort(c.EnvNames)
	slices.Sort(c.DSNEnv)
	return c
}

// DSNEnvVar is the environment variable a workload command run by observe
// (and re-run by validate) finds the observed database's DSN in, unless
// its environment already sets it: pgqtune's own variable, so a load
// script written for pgqtune needs no DSN on its command line, where ps
// would show a password.
const DSNEnvVar = "PGQTUNE_DSN"

// withDSNEnv returns env with DSNEnvVar set to dsn when env has it unset
// or empty.
func withDSNEnv(env []string, dsn string) []string {
	if dsn == "" {
		return env
	}
	for _, kv := range env {
		if name, value, _ := strings.Cut(kv, "="); name == DSNEnvVar && value != "" {
			return env
		}
	}
	out := slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, DSNEnvVar+"=") })
	return append(out, DSNEnvVar+"="+dsn)
}

// sameDatabase reports whether value is a connection string (a
// postgres:// URL or keyword/value pairs naming a host or database) for
// the database dsn names: same host, port and database, whatever the user.
func sameDatabase(value, dsn string) bool {
	v := strings.TrimSpace(value)
	url := strings.HasPrefix(v, "postgres://") || strings.HasPrefix(v, "postgresql://")
	kv := strings.Contains(v, "host=") || strings.Contains(v, "dbname=")
	if !url && !kv {
		return false
	}
	if _, err := pgx.ParseConfig(v); err != nil {
		return false
	}
	return hostOf(Describe(v)) == hostOf(Describe(dsn))
}
