package reallibs

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/sqlload/adapter/pgboss"
	"github.com/pgqtune/pgqtune/sqlload/nodepkg"
)

//go:embed js/pgboss/load.js
var pgbossJS embed.FS

//go:embed js/graphile-worker/package.json js/graphile-worker/package-lock.json js/graphile-worker/load.js
var graphileJS embed.FS

// GraphileRelease is the graphile-worker release the harness installs.
const GraphileRelease = "0.16.6"

// ErrUnavailable marks a library that cannot run here: Node or npm is
// missing, or its npm install failed. Tests skip on it.
var ErrUnavailable = errors.New("library unavailable")

// Unavailable reports whether err means the library cannot run here (a
// test should skip, naming err).
func Unavailable(err error) bool { return errors.Is(err, ErrUnavailable) }

// Script returns the command that runs lib's Node load script (pg-boss or
// graphile-worker), installing the library into the user cache first when
// needed: `node <cache>/<lib>/load.js`. Append the script's flags (see the
// package documentation) and pass the DSN in PGQTUNE_DSN.
func Script(ctx context.Context, lib Library) ([]string, error) {
	var dir string
	var err error
	switch lib {
	case PgBoss:
		// The pgboss adapter's own install (sqlload/adapter/pgboss/pgbossjs): one pg-boss
		// in the cache, with the load script beside its setup script.
		if dir, err = pgboss.Dir(ctx); err == nil {
			var sub fs.FS
			if sub, err = fs.Sub(pgbossJS, "js/pgboss"); err == nil {
				err = nodepkg.WriteFiles(sub, dir)
			}
		}
	case Graphile:
		var sub fs.FS
		if sub, err = fs.Sub(graphileJS, "js/graphile-worker"); err == nil {
			dir, err = nodepkg.Install(ctx, nodepkg.Package{Name: "graphile-worker-" + GraphileRelease, Files: sub, Marker: "node_modules/graphile-worker/package.json"})
		}
	default:
		return nil, fmt.Errorf("reallibs: %s has no Node script", lib)
	}
	if err != nil {
		return nil, fmt.Errorf("reallibs: %s: %w: %w", lib, ErrUnavailable, err)
	}
	return []string{"node", filepath.Join(dir, "load.js")}, nil
}

// Flags renders o as the load scripts' flags.
func Flags(lib Library, o Options) []string {
	var f []string
	add := func(name string, v string) { f = append(f, "--"+name, v) }
	num := func(name string, n int) {
		if n > 0 {
			add(name, strconv.Itoa(n))
		}
	}
	if lib == Graphile {
		num("concurrency", o.Workers)
		if o.Poll > 0 {
			add("poll", strconv.FormatInt(o.Poll.Milliseconds(), 10))
		}
	} else {
		num("workers", o.Workers)
		num("batch", o.Batch)
		if o.Poll > 0 {
			add("poll", strconv.FormatFloat(o.Poll.Seconds(), 'f', -1, 64))
		}
	}
	if o.Rate > 0 {
		add("rate", strconv.FormatFloat(o.Rate, 'f', -1, 64))
	}
	num("backlog", o.Backlog)
	num("scheduled", o.Scheduled)
	num("failed", o.Failed)
	num("jobs", o.Jobs)
	add("deadline", strconv.FormatFloat(o.deadline().Seconds(), 'f', -1, 64))
	return f
}

// nodeWorkload is a load script started and waiting for its go.
type nodeWorkload struct {
	lib      Library
	deadline time.Duration
	cmd      *exec.Cmd
	gate     string
	lines    chan []byte
	stderr   *tailBuffer
	done     chan error
}

func prepareNode(ctx context.Context, lib Library, dsn string, o Options) (*nodeWorkload, error) {
	script, err := Script(ctx, lib)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "pgqtune-reallibs-*")
	if err != nil {
		return nil, fmt.Errorf("reallibs: %s: gate dir: %w", lib, err)
	}
	w := &nodeWorkload{lib: lib, deadline: o.deadline(), gate: filepath.Join(tmp, "go"), lines: make(chan []byte, 4), stderr: &tailBuffer{max: 4096}, done: make(chan error, 1)}
	if o.Retained > 0 && lib != PgBoss {
		return nil, fmt.Errorf("reallibs: %s: Retained is for pg-boss and River only", lib)
	}
	if o.Failed > 0 && lib != Graphile {
		return nil, fmt.Errorf("reallibs: %s: Failed is for graphile-worker only", lib)
	}
	args := append(script[1:], Flags(lib, o)...)
	args = append(args, "--wait-start", w.gate)
	// Not CommandContext: ctx bounds the preparation only; Close ends the
	// process.
	w.cmd = exec.Command(script[0], args...)
	// The DSN travels in the environment, where ps does not show it.
	w.cmd.Env = append(os.Environ(), "PGQTUNE_DSN="+dsn)
	w.cmd.Stderr = w.stderr
	out, err := w.cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("reallibs: %s: %w", lib, err)
	}
	if err := w.cmd.Start(); err != nil {
		return nil, fmt.Errorf("reallibs: %s: start node: %w: %w", lib, ErrUnavailable, err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if b := bytes.TrimSpace(sc.Bytes()); len(b) > 0 && b[0] == '{' {
				w.lines <- bytes.Clone(b)
			}
		}
		close(w.lines)
		w.done <- w.cmd.Wait()
	}()
	select {
	case line, ok := <-w.lines:
		if ok && bytes.Contains(line, []byte(`"ready"`)) {
			if err := pgbossRetained(ctx, dsn, o.Retained); err != nil {
				w.Close()
				return nil, err
			}
			return w, nil
		}
		w.Close()
		return nil, fmt.Errorf("reallibs: %s: load script ended before its workers started: %s", lib, w.stderr)
	case <-ctx.Done():
		w.Close()
		return nil, fmt.Errorf("reallibs: %s: prepare: %w", lib, ctx.Err())
	}
}

func (w *nodeWorkload) Run(ctx context.Context) (*Result, error) {
	if err := os.WriteFile(w.gate, nil, 0o644); err != nil {
		return nil, fmt.Errorf("reallibs: %s: start: %w", w.lib, err)
	}
	// A script that outlives its deadline by a minute is stuck: kill it.
	stuck := time.NewTimer(w.deadline + time.Minute)
	defer stuck.Stop()
	var res *Result
	for {
		select {
		case <-stuck.C:
			w.Close()
			if res != nil {
				return res, nil
			}
			return nil, fmt.Errorf("reallibs: %s: load script still running a minute past its deadline: %s", w.lib, w.stderr)
		case line, ok := <-w.lines:
			if !ok {
				err := <-w.done
				w.done <- err
				if res == nil {
					return nil, fmt.Errorf("reallibs: %s: load script printed no result (%v): %s", w.lib, err, w.stderr)
				}
				if err != nil {
					return nil, fmt.Errorf("reallibs: %s: load script: %w: %s", w.lib, err, w.stderr)
				}
				return res, nil
			}
			var r Result
			if json.Unmarshal(line, &r) == nil && r.Library != "" {
				res = &r
				// The script exits after its result; should it not, the
				// result is in and the process is ended.
				stuck.Reset(10 * time.Second)
			}
		case <-ctx.Done():
			w.Close()
			return nil, fmt.Errorf("reallibs: %s: run: %w", w.lib, ctx.Err())
		}
	}
}

func (w *nodeWorkload) Close() {
	// Kill after exit is a no-op: os.Process knows it was reaped.
	if w.cmd.Process != nil {
		_ = w.cmd.Process.Kill()
	}
	os.RemoveAll(filepath.Dir(w.gate))
}

// tailBuffer keeps the last bytes a process wrote, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	b   []byte
	max int
}

var _ io.Writer = (*tailBuffer)(nil)

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}

// pgbossRetained writes n completed jobs of queue pgqtune into pg-boss's
// job table (through the parent, so they land in the queue's partition):
// the history a fetch must skip when its partial index is gone.
func pgbossRetained(ctx context.Context, dsn string, n int) error {
	if n <= 0 {
		return nil
	}
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("reallibs: pg-boss: retained jobs: %w", err)
	}
	defer c.Close(context.Background())
	_, err = c.Exec(ctx, pgbossRetainedSQL, n)
	if err != nil {
		return fmt.Errorf("reallibs: pg-boss: %d retained jobs: %w", n, err)
	}
	return nil
}
