package faultinject_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/internal/pgserver"
	"github.com/pgqtune/pgqtune/internal/pipeline"
	"github.com/pgqtune/pgqtune/runrec"
)

// scenario is the short steady load every fault test drives.
var scenario = filepath.Join("testdata", "steady.yaml")

// startServer starts a cluster of the test's own (fsync on: restarts must
// be real ones) and stops it when the test ends.
func startServer(t *testing.T, settings map[string]string) *pgserver.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := pgserver.Start(ctx, pgserver.Options{Fsync: true, Settings: settings})
	if err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log tail:\n%s", srv.Logs(40))
		}
		_ = srv.Stop()
	})
	return srv
}

// runWith drives the steady scenario against dsn with fault injected once
// the load runs, and returns the outcome after checking the report against
// the published schema.
func runWith(t *testing.T, dsn string, dur time.Duration, fault func(ctx context.Context, t pipeline.Target)) *pipeline.Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out := filepath.Join(t.TempDir(), "run")
	o, err := pipeline.Run(ctx, pipeline.RunOptions{
		DSN:      dsn,
		Scenario: scenario,
		Duration: dur,
		Out:      out,
		OnStart:  fault,
	})
	if err != nil {
		t.Fatalf("pipeline.Run: %v", err)
	}
	if o.Report == nil || o.Run == nil {
		t.Fatalf("no report written (interrupted: %q)", o.Interrupted)
	}
	b, err := os.ReadFile(filepath.Join(out, runrec.ReportJSON))
	if err != nil {
		t.Fatal(err)
	}
	if err := runrec.ValidateJSON(b); err != nil {
		t.Fatalf("report.json breaks the contract: %v", err)
	}
	return o
}

// after waits d or until ctx ends, and says whether the wait completed.
func after(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// checkBooks fails unless the run's books balance: nothing lost, nothing
// done twice, and every enqueued job completed or reported pending.
func checkBooks(t *testing.T, rep *runrec.Report) {
	t.Helper()
	in := rep.Integrity
	if in == nil {
		t.Fatal("report has no integrity section")
	}
	t.Logf("integrity: %+v", *in)
	if in.Lost != 0 || in.Duplicated != 0 {
		t.Fatalf("integrity broken: %+v", *in)
	}
	if in.Completed == 0 {
		t.Fatalf("no job completed: %+v", *in)
	}
	if got := in.Completed + in.Pending + in.Failed; got != in.Enqueued {
		t.Fatalf("completed %d + pending %d + failed %d != enqueued %d", in.Completed, in.Pending, in.Failed, in.Enqueued)
	}
}

// findings returns the report's findings with cause.
func findings(rep *runrec.Report, cause string) []runrec.Finding {
	var out []runrec.Finding
	for _, f := range rep.Findings {
		if f.Cause == cause {
			out = append(out, f)
		}
	}
	return out
}

// logFindings shows every finding, for failures.
func logFindings(t *testing.T, rep *runrec.Report) {
	t.Helper()
	for _, f := range rep.Findings {
		t.Logf("finding %s %s %s..%s drop %.0f%% conf %.2f: %s", f.ID, f.Cause,
			f.Start.Format("15:04:05"), f.End.Format("15:04:05"), f.ThroughputDropPct, f.Confidence, f.Summary)
	}
	for _, n := range rep.Notes {
		t.Logf("note: %s", n)
	}
}

// serverDown returns the sample ticks whose server status says unavailable.
func serverDown(run *runrec.Run) []time.Time {
	var out []time.Time
	for _, s := range run.Samples {
		if s.Status["server"].Kind == runrec.StatusUnavailable {
			out = append(out, s.T)
		}
	}
	return out
}

// negatives walks every number in a JSON document (one per line when
// jsonl) and returns the paths of the negative ones.
func negatives(t *testing.T, path string, jsonl bool) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	docs := [][]byte{b}
	if jsonl {
		docs = nil
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			docs = append(docs, append([]byte(nil), sc.Bytes()...))
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	var out []string
	for i, d := range docs {
		dec := json.NewDecoder(bytes.NewReader(d))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s line %d: %v", path, i+1, err)
		}
		walkNumbers(v, fmt.Sprintf("%s:%d", filepath.Base(path), i+1), func(p string, n json.Number) {
			if strings.HasPrefix(n.String(), "-") && !signedOK(p, n) {
				out = append(out, p+"="+n.String())
			}
		})
	}
	return out
}

// signedOK allows the numbers that are not amounts: query ids are signed
// hashes, and runrec documents -1 as "unknown" for queue gauges.
func signedOK(path string, n json.Number) bool {
	key := path[strings.LastIndex(path, ".")+1:]
	switch key {
	case "queryid":
		return true
	case "depth", "oldest_pending_age_s", "in_flight":
		return n.String() == "-1"
	}
	return false
}

func walkNumbers(v any, path string, f func(string, json.Number)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			walkNumbers(e, path+"."+k, f)
		}
	case []any:
		for i, e := range x {
			walkNumbers(e, fmt.Sprintf("%s[%d]", path, i), f)
		}
	case json.Number:
		f(path, x)
	}
}

// killer terminates sessions by application_name through one session of
// its own, so that it can sweep many times a second.
type killer struct{ conn *pgx.Conn }

func newKiller(ctx context.Context, dsn string) (*killer, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("connect killer: %w", err)
	}
	return &killer{conn: conn}, nil
}

// terminate ends every backend of application app and returns how many.
func (k *killer) terminate(ctx context.Context, app string) (int, error) {
	var n int
	err := k.conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))
		FROM pg_catalog.pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`, app).Scan(&n)
	return n, err
}

func (k *killer) close() { k.conn.Close(context.Background()) }

// outage stops the postmaster the way pg_ctl stop -m mode does (SIGINT for
// fast, SIGQUIT for immediate, sent to the pid in postmaster.pid), keeps it
// down for down, and starts it again through Restart (which finds it
// already stopped). A bare Restart is over in under a second, shorter than
// one sampler tick; a real restart keeps clients out for seconds.
func outage(ctx context.Context, srv *pgserver.Server, mode string, down time.Duration) error {
	b, err := os.ReadFile(filepath.Join(srv.DataDir(), "postmaster.pid"))
	if err != nil {
		return fmt.Errorf("read postmaster.pid: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		return fmt.Errorf("parse postmaster.pid: %w", err)
	}
	sig := syscall.SIGINT
	if mode == "immediate" {
		sig = syscall.SIGQUIT
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("signal postmaster %d: %w", pid, err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			return fmt.Errorf("postmaster %d did not stop", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(down)
	return srv.Restart(ctx, mode)
}

func errorsIsBadInput(err error) bool { return errors.Is(err, pipeline.ErrBadInput) }

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// checkOutage asserts what every outage test wants of its run, the
// outage lasting from..to: samples with statistics kept on both sides of
// it, a sample saying the server was away, a server_unavailable finding
// over the window (one tick of slack each side for the sampler's clock),
// and books that balance.
func checkOutage(t *testing.T, o *pipeline.Outcome, from, to time.Time, what string) {
	t.Helper()
	rep, run := o.Report, o.Run
	logFindings(t, rep)
	var before, afterN int
	for _, s := range run.Samples {
		if s.Database == nil {
			continue
		}
		if s.T.Before(from) {
			before++
		} else if s.T.After(to) {
			afterN++
		}
	}
	if before < 5 || afterN < 2 { // the sampler may back off for seconds after the outage
		t.Fatalf("samples with statistics: %d before the %s, %d after; want both kept", before, what, afterN)
	}
	if len(serverDown(run)) == 0 {
		t.Fatalf("no sample records the %s", what)
	}
	fs := findings(rep, "server_unavailable")
	hit := slices.ContainsFunc(fs, func(f runrec.Finding) bool {
		return !f.Start.After(to.Add(time.Second)) && !f.End.Before(from.Add(-time.Second))
	})
	if !hit {
		for _, w := range run.Workload {
			p99 := 0.0
			if w.LatencyMs != nil {
				p99 = w.LatencyMs.P99
			}
			t.Logf("%s completed %d enqueued %d errors %d depth %d p99 %.1fms", w.T.Format(time.TimeOnly), w.Completed, w.Enqueued, w.Errors, w.Depth, p99)
		}
		t.Fatalf("no server_unavailable finding over the %s (%s..%s)", what, from.UTC().Format(time.TimeOnly), to.UTC().Format(time.TimeOnly))
	}
	checkBooks(t, rep)
}
