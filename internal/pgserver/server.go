package pgserver

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoBinaries is returned by Start when no PostgreSQL server binaries can be
// found. Its message says what to install.
var ErrNoBinaries = errors.New("no PostgreSQL server binaries (initdb, postgres) found on PATH or under /usr/lib/postgresql/*/bin; " +
	"install them with `sudo apt-get install postgresql postgresql-contrib` (or run `make deps`), or set PGQTUNE_PG_BIN to their directory")

// dirPrefix names every cluster directory so that Start can find and reap the
// ones a killed process left behind.
const dirPrefix = "pgqtune-pg-"

// Options configure a throwaway cluster. The zero value is a sensible default.
type Options struct {
	// BaseDir is where the cluster directory is created; default os.TempDir().
	BaseDir string
	// Fsync keeps fsync on. Tests about WAL and checkpoints need it; most
	// tests run faster without it. Default off.
	Fsync bool
	// Settings are extra postgresql.conf settings (name -> value, already
	// quoted as postgresql.conf expects when needed).
	Settings map[string]string
	// Database is created (with pg_stat_statements) after start; default
	// "pgqtune".
	Database string
	// StartTimeout bounds initdb plus startup; default 60s.
	StartTimeout time.Duration
}

// Server is a running throwaway cluster.
type Server struct {
	dir      string
	dataDir  string
	sockDir  string
	logFile  string
	binDir   string
	port     int
	database string
	cred     *syscall.Credential

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	err  error // exit error of the postmaster, valid after done is closed
}

// Start creates, starts and returns a new cluster. Call Stop to shut it down
// and remove its files.
func Start(ctx context.Context, opts Options) (*Server, error) {
	opts.BaseDir = cmp.Or(opts.BaseDir, os.TempDir())
	opts.Database = cmp.Or(opts.Database, "pgqtune")
	opts.StartTimeout = cmp.Or(opts.StartTimeout, 60*time.Second)
	ctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()

	binDir, err := FindBinDir()
	if err != nil {
		return nil, err
	}
	reapStale(opts.BaseDir)

	cred, uid, gid, err := serverCredential()
	if err != nil {
		return nil, err
	}
	if cred != nil {
		if fi, err := os.Stat(opts.BaseDir); err == nil && fi.Mode().Perm()&0o001 == 0 {
			return nil, fmt.Errorf("pgserver: %s is not searchable by the unprivileged server user (mode %v); use a world-searchable base directory", opts.BaseDir, fi.Mode().Perm())
		}
	}
	dir, err := os.MkdirTemp(opts.BaseDir, dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("pgserver: create cluster directory: %w", err)
	}
	s := &Server{
		dir:      dir,
		dataDir:  filepath.Join(dir, "data"),
		sockDir:  filepath.Join(dir, "sock"),
		logFile:  filepath.Join(dir, "server.log"),
		binDir:   binDir,
		database: opts.Database,
		cred:     cred,
	}
	fail := func(err error) (*Server, error) {
		s.kill()
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return fail(fmt.Errorf("pgserver: write owner file: %w", err))
	}
	if err := os.Mkdir(s.sockDir, 0o700); err != nil {
		return fail(fmt.Errorf("pgserver: create socket directory: %w", err))
	}
	if cred != nil {
		for _, p := range []string{dir, s.sockDir} {
			if err := os.Chown(p, uid, gid); err != nil {
				return fail(fmt.Errorf("pgserver: chown %s to the server user: %w", p, err))
			}
		}
		// The directory must be reachable by the server user.
		if err := os.Chmod(dir, 0o755); err != nil {
			return fail(fmt.Errorf("pgserver: chmod %s: %w", dir, err))
		}
	}

	initdb := exec.CommandContext(ctx, filepath.Join(binDir, "initdb"),
		"--pgdata", s.dataDir, "--username", "postgres", "--auth", "trust",
		"--encoding", "UTF8", "--locale", "C", "--no-sync", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("pgserver: initdb: %w: %s", err, lastLines(out, 5)))
	}

	conf := map[string]string{
		"listen_addresses":            "'127.0.0.1'",
		"unix_socket_directories":     quoteConf(s.sockDir),
		"shared_preload_libraries":    "'pg_stat_statements'",
		"track_io_timing":             "on",
		"track_wal_io_timing":         "on",
		"pg_stat_statements.max":      "5000",
		"pg_stat_statements.track":    "top",
		"max_connections":             "200",
		"shared_buffers":              "256MB",
		"logging_collector":           "off",
		"log_checkpoints":             "on",
		"log_autovacuum_min_duration": "0",
		"fsync":                       "off",
		"full_page_writes":            "on",
		"synchronous_commit":          "on",
		"dynamic_shared_memory_type":  "posix",
	}
	if opts.Fsync {
		conf["fsync"] = "on"
	}
	for k, v := range opts.Settings {
		conf[k] = v
	}
	if err := appendConf(filepath.Join(s.dataDir, "postgresql.auto.conf"), conf); err != nil {
		return fail(err)
	}

	// A port picked by the kernel can be taken by someone else before the
	// postmaster binds it (parallel test binaries): retry with a new one.
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return fail(err)
		}
		s.port = port
		if lastErr = s.launch(ctx); lastErr == nil {
			break
		}
		if ctx.Err() != nil {
			break
		}
	}
	if lastErr != nil {
		return fail(lastErr)
	}
	if err := s.CreateDatabase(ctx, opts.Database, ""); err != nil {
		return fail(err)
	}
	return s, nil
}

// launch starts the postmaster on s.port and waits until it accepts
// connections.
func (s *Server) launch(ctx context.Context) error {
	logf, err := os.OpenFile(s.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("pgserver: open server log: %w", err)
	}
	cmd := exec.Command(filepath.Join(s.binDir, "postgres"), "-D", s.dataDir, "-p", strconv.Itoa(s.port))
	cmd.Stdout = logf
	cmd.Stderr = logf
	// SIGQUIT is the postmaster's "immediate shutdown": if we die, so does it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Pdeathsig: syscall.SIGQUIT, Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("pgserver: start postgres: %w", err)
	}
	done := make(chan struct{})
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	go func() {
		err := cmd.Wait()
		logf.Close()
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
		close(done)
	}()

	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return fmt.Errorf("pgserver: postgres exited during startup on port %d: %s", s.port, s.logTail(8))
		case <-ctx.Done():
			s.kill()
			return fmt.Errorf("pgserver: waiting for postgres to accept connections on port %d: %w: %s", s.port, ctx.Err(), s.logTail(8))
		case <-tick.C:
		}
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(pctx, s.DSN("postgres"))
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
	}
}

// DSN returns a connection URL for database db (the server's own database
// when db is empty) over TCP on 127.0.0.1.
func (s *Server) DSN(db string) string {
	db = cmp.Or(db, s.database)
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// Port returns the TCP port the server listens on.
func (s *Server) Port() int { return s.port }

// Database returns the name of the database created at start.
func (s *Server) Database() string { return s.database }

// BinDir returns the directory of the server binaries in use (pgbench and
// psql usually live there too).
func (s *Server) BinDir() string { return s.binDir }

// DataDir returns the cluster's data directory.
func (s *Server) DataDir() string { return s.dataDir }

// LogFile returns the path of the server log.
func (s *Server) LogFile() string { return s.logFile }

// CreateDatabase creates database name (from template when not empty) and
// makes sure pg_stat_statements exists in it.
func (s *Server) CreateDatabase(ctx context.Context, name, template string) error {
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("pgserver: connect: %w", err)
	}
	defer conn.Close(context.Background())
	if name != "postgres" {
		sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
		if template != "" {
			sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
		}
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("pgserver: create database %s: %w", name, err)
		}
	}
	dconn, err := pgx.Connect(ctx, s.DSN(name))
	if err != nil {
		return fmt.Errorf("pgserver: connect to %s: %w", name, err)
	}
	defer dconn.Close(context.Background())
	if _, err := dconn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"); err != nil {
		return fmt.Errorf("pgserver: create extension pg_stat_statements in %s: %w", name, err)
	}
	return nil
}

// Restart stops the server with the given shutdown mode ("fast" or
// "immediate") and starts it again on the same port. Fault-injection tests use
// it to simulate a server restart mid-run.
func (s *Server) Restart(ctx context.Context, mode string) error {
	if err := s.shutdown(ctx, mode); err != nil {
		return err
	}
	return s.launch(ctx)
}

// Stop shuts the server down (fast shutdown, immediate after 10s) and removes
// its files. It is safe to call more than once.
func (s *Server) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := s.shutdown(ctx, "fast")
	if rerr := os.RemoveAll(s.dir); rerr != nil && err == nil {
		err = fmt.Errorf("pgserver: remove %s: %w", s.dir, rerr)
	}
	return err
}

// Logs returns the last n lines of the server log, for test failures.
func (s *Server) Logs(n int) string { return s.logTail(n) }

func (s *Server) shutdown(ctx context.Context, mode string) error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	sig := syscall.SIGINT
	switch mode {
	case "fast", "":
	case "smart":
		sig = syscall.SIGTERM
	case "immediate":
		sig = syscall.SIGQUIT
	default:
		return fmt.Errorf("pgserver: unknown shutdown mode %q (want smart, fast or immediate)", mode)
	}
	select {
	case <-done:
		return nil
	default:
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
		return nil
	case <-time.After(10 * time.Second):
	case <-ctx.Done():
	}
	s.kill()
	<-done
	return nil
}

// kill ends the postmaster and every process of its group at once.
func (s *Server) kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-done
}

func (s *Server) logTail(n int) string {
	b, _ := os.ReadFile(s.logFile)
	return lastLines(b, n)
}

// FindBinDir returns the directory holding initdb and postgres: PGQTUNE_PG_BIN,
// then PATH, then the newest /usr/lib/postgresql/*/bin.
func FindBinDir() (string, error) {
	has := func(dir string) bool {
		for _, b := range []string{"initdb", "postgres"} {
			if fi, err := os.Stat(filepath.Join(dir, b)); err != nil || fi.IsDir() {
				return false
			}
		}
		return true
	}
	if d := os.Getenv("PGQTUNE_PG_BIN"); d != "" {
		if has(d) {
			return d, nil
		}
		return "", fmt.Errorf("pgserver: PGQTUNE_PG_BIN=%s has no initdb and postgres: %w", d, ErrNoBinaries)
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		// Debian's /usr/bin/initdb may be a wrapper; only trust a directory
		// that also has the server binary.
		if r, err := filepath.EvalSymlinks(p); err == nil {
			if d := filepath.Dir(r); has(d) {
				return d, nil
			}
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if has(d) {
			return d, nil
		}
	}
	return "", ErrNoBinaries
}

func versionOf(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

// serverCredential returns the credential to run server processes with: nil
// when we are not root, else the "postgres" (or "nobody") user.
func serverCredential() (*syscall.Credential, int, int, error) {
	if os.Geteuid() != 0 {
		return nil, os.Getuid(), os.Getgid(), nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, uid, gid, nil
	}
	return nil, 0, 0, errors.New("pgserver: running as root and no unprivileged user (postgres or nobody) exists to run the server as")
}

// reapStale stops clusters whose owning process is gone and removes their
// directories, so that a killed test binary leaves nothing that blocks or
// slows the next start.
func reapStale(base string) {
	dirs, _ := filepath.Glob(filepath.Join(base, dirPrefix+"*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "owner.pid"))
		if err != nil {
			// Being created right now by someone else, or not ours: leave it
			// unless it is old.
			if fi, serr := os.Stat(d); serr == nil && time.Since(fi.ModTime()) > time.Hour {
				_ = os.RemoveAll(d)
			}
			continue
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		if pid > 0 && processAlive(pid) {
			continue
		}
		if pb, err := os.ReadFile(filepath.Join(d, "data", "postmaster.pid")); err == nil {
			if first, _, ok := strings.Cut(string(pb), "\n"); ok {
				if ppid, err := strconv.Atoi(strings.TrimSpace(first)); err == nil && ppid > 0 && processAlive(ppid) {
					_ = syscall.Kill(ppid, syscall.SIGQUIT)
					for i := 0; i < 50 && processAlive(ppid); i++ {
						time.Sleep(100 * time.Millisecond)
					}
				}
			}
		}
		_ = os.RemoveAll(d)
	}
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgserver: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func appendConf(path string, conf map[string]string) error {
	keys := make([]string, 0, len(conf))
	for k := range conf {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteString("\n# written by pgqtune's pgserver\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s = %s\n", k, conf[k])
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("pgserver: open %s: %w", path, err)
	}
	defer f.Close()
	if _, err := f.Write(b.Bytes()); err != nil {
		return fmt.Errorf("pgserver: write %s: %w", path, err)
	}
	return nil
}

func quoteConf(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
