package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/analyze/collect"
	"github.com/pgqtune/pgqtune/internal/connstr"
	"github.com/pgqtune/pgqtune/runrec"
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
	o.Interval = cmp.Or(o.Interval, time.Second)
	if o.Duration < 0 {
		return nil, badInputf("--duration must be positive, got %s", o.Duration)
	}
	if err := checkAddr(o.MetricsAddr); err != nil {
		return nil, err
	}
	for _, q := range o.QueueTables {
		if strings.Count(q, ".") != 1 || strings.HasPrefix(q, ".") || strings.HasSuffix(q, ".") {
			return nil, badInputf("--queue-table %q: want SCHEMA.TABLE", q)
		}
	}
	started := time.Now().UTC()
	id := started.Format("20060102-150405") + "-observe"
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
	version, err := checkConnect(ctx, o.DSN)
	if err != nil {
		return nil, err
	}
	bg := context.WithoutCancel(ctx)

	sampler, err := collect.New(ctx, collect.Config{
		DSN:         o.DSN,
		Interval:    o.Interval,
		QueueTables: o.QueueTables,
		ReadOnly:    true,
		HostStats:   isLocal(o.DSN),
	})
	if err != nil {
		return nil, badInputf("start sampler on %s: %s", Describe(o.DSN), redact(err.Error(), o.DSN))
	}
	defer sampler.Close()
	info := sampler.Server()
	meta := runrec.Meta{
		ID:               id,
		Mode:             "observe",
		Scenario:         "observe",
		StartedAt:        started,
		ServerVersion:    cmp.Or(info.Version, version),
		ServerVersionNum: info.VersionNum,
		Settings:         info.Settings,
		Target:           Describe(o.DSN),
		QueueTables:      sampler.QueueTables(),
		Libraries:        sampler.Libraries(),
		SamplerIntervalS: o.Interval.Seconds(),
	}
	if len(o.Command) > 0 {
		if o.CommandEnv == nil {
			o.CommandEnv = os.Environ()
		}
		o.CommandEnv = withDSNEnv(o.CommandEnv, o.DSN)
		if o.CommandDir == "" {
			if o.CommandDir, err = os.Getwd(); err != nil {
				return nil, fmt.Errorf("observe: working directory: %w", err)
			}
		}
		meta.Command = recordCommand(o.Command, o.CommandDir, o.CommandEnv, o.DSN)
		meta.Workload = map[string]any{"command": strings.Join(meta.Command.Args, " ")}
	}
	if err := runrec.WriteJSON(filepath.Join(dir, runrec.MetaFile), &meta); err != nil {
		return nil, err
	}
	recorded = true
	if o.Progress != nil {
		if len(meta.QueueTables) > 0 {
			fmt.Fprintf(o.Progress, "observing %s; queue tables: %s\n", meta.Target, strings.Join(meta.QueueTables, ", "))
		} else {
			fmt.Fprintf(o.Progress, "observing %s; no queue tables found yet: still looking for known queue tables and SKIP LOCKED claims (or name them with --queue-table)\n", meta.Target)
		}
	}

	rec, err := newRecorder(dir, o.MetricsAddr)
	if err != nil {
		return nil, err
	}
	defer rec.close()

	octx, stop := context.WithCancel(ctx)
	defer stop()
	rec.onFail = func(error) { stop() }
	if o.Duration > 0 {
		var cancel context.CancelFunc
		octx, cancel = context.WithTimeout(octx, o.Duration)
		defer cancel()
	}

	var cmdErr error
	var cmdDone chan struct{}
	if len(o.Command) > 0 {
		cmd := exec.CommandContext(octx, o.Command[0], o.Command[1:]...)
		cmd.Stdout = cmp.Or[io.Writer](o.Stdout, os.Stdout)
		cmd.Stderr = cmp.Or[io.Writer](o.Stderr, os.Stderr)
		cmd.Env = o.CommandEnv
		cmd.Dir = o.CommandDir
		if err := cmd.Start(); err != nil {
			return nil, badInputf("start workload command %q: %v", o.Command[0], err)
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

	var prev *runrec.Sample
	var mu sync.Mutex
	every := cmp.Or(o.ProgressEvery, 5)
	var recent []runrec.WorkloadTick
	sink := func(s runrec.Sample) error {
		mu.Lock()
		defer mu.Unlock()
		if err := rec.sample(s); err != nil {
			return err
		}
		t := collect.ObservedTick(prev, &s)
		rec.tick(t)
		cp := s
		prev = &cp
		if o.Progress != nil {
			// The same line as run's, over the ticks since the last one.
			recent = append(recent, t)
			if len(recent) >= every {
				sqlload.FormatProgress(o.Progress, time.Since(started), recent)
				recent = recent[:0]
			}
		}
		return nil
	}
	serr := sampler.Run(octx, sink)
	if cmdDone != nil {
		stop()
		<-cmdDone
	}

	out := &Outcome{Dir: dir}
	if werr := rec.failed(); werr != nil {
		return out, fmt.Errorf("cannot write the run directory, observation stopped: %w", werr)
	}
	if ctx.Err() != nil {
		out.Interrupted = "interrupted: " + context.Cause(ctx).Error()
	}
	meta.EndedAt = time.Now().UTC()
	meta.Interrupted = out.Interrupted
	// The sampler keeps looking for queues while it runs.
	meta.QueueTables = sampler.QueueTables()
	// Statements may first appear late: the sampler's last decision holds
	// every one it saw.
	meta.Libraries, meta.StatementRoles = sampler.Libraries(), sampler.StatementRoles()
	meta.Notes = append(meta.Notes, sampler.Notes()...)
	if serr != nil && !errors.Is(serr, context.Canceled) && !errors.Is(serr, context.DeadlineExceeded) {
		meta.Notes = append(meta.Notes, "sampler stopped early: "+redact(serr.Error(), o.DSN))
	}
	if cmdErr != nil {
		meta.Notes = append(meta.Notes, fmt.Sprintf("workload command exited with an error: %v", cmdErr))
	}
	if err := runrec.WriteJSON(filepath.Join(dir, runrec.MetaFile), &meta); err != nil {
		return out, err
	}
	// No hypopg in observe mode: it would need CREATE EXTENSION, a write.
	rep, run, err := conclude(bg, dir, readOnlyDSN(o.DSN), "", o.Store, meta.QueueTables)
	if err != nil {
		return out, err
	}
	rec.findings(len(rep.Findings))
	out.Report, out.Run = rep, run
	return out, nil
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
