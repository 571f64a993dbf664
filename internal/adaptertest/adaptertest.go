// Package adaptertest is the one test suite every sqlload queue adapter
// must pass, against a real cluster. An adapter package's external test
// imports the adapter (which registers its name) and calls it:
//
//	import _ "github.com/pgqtune/pgqtune/sqlload/adapter/skiplocked"
//
//	func TestMain(m *testing.M) { pgtest.Main(m, pgserver.Options{}) }
//
//	func TestSkipLocked(t *testing.T) {
//		adaptertest.Run(t, "skiplocked",
//			sqlload.Settings{"completion": "delete"},
//			sqlload.Settings{"completion": "update"})
//	}
//
// Each settings variant runs the whole suite in a fresh database. Adapters
// that implement sqlload.Worker (their library runs its own workers) get
// the Worker half of the suite instead of the Dequeue/Complete/Fail half.
// Drive (drive.go) runs a whole scenario through the driver for an
// adapter's end-to-end tests and checks the books every run must balance.
//
// It lives under internal/, beside the pgtest clusters it uses (as River
// keeps riverdrivertest), so that sqlload's non-test code imports nothing
// under internal/ (internal/layout checks that).
package adaptertest

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/sqlload"
)

// Schema is where the suite creates the adapter's tables.
const Schema = "pgqtune"

// Queues are the queue names the suite configures.
var Queues = []string{"default", "other"}

// MaxAttempts is the suite's Config.MaxAttempts.
const MaxAttempts = 3

// Bundle is what Setup returns: the adapter and its surroundings.
type Bundle struct {
	Adapter sqlload.Adapter
	Pool    *pgxpool.Pool
	DSN     string
	Config  *sqlload.Config
	seq     int64
}

// Setup creates a fresh database, builds the named adapter with settings,
// runs its Setup twice (it must be idempotent) and closes it when t ends.
func Setup(t *testing.T, name string, settings sqlload.Settings) *Bundle {
	t.Helper()
	ctx := context.Background()
	dsn := pgtest.NewDB(t)
	pool := pgtest.Pool(t, dsn)
	f, err := sqlload.LookupAdapter(name)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &sqlload.Config{Pool: pool, DSN: dsn, Schema: Schema, Queues: Queues, MaxAttempts: MaxAttempts, Settings: settings}
	a, err := f(ctx, cfg)
	if err != nil {
		t.Fatalf("new %s adapter: %v", name, err)
	}
	t.Cleanup(func() {
		if err := a.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	for i := 0; i < 2; i++ {
		if err := a.Setup(ctx); err != nil {
			t.Fatalf("setup (call %d): %v", i+1, err)
		}
	}
	if len(a.Tables()) == 0 {
		t.Fatal("Tables() is empty")
	}
	return &Bundle{Adapter: a, Pool: pool, DSN: dsn, Config: cfg}
}

// NewJobs returns n jobs for queue with fresh Seqs and IntendedAt now.
func (b *Bundle) NewJobs(queue string, n int) []sqlload.NewJob {
	now := time.Now()
	out := make([]sqlload.NewJob, n)
	for i := range out {
		b.seq++
		out[i] = sqlload.NewJob{Seq: b.seq, Queue: queue, IntendedAt: now.Add(-time.Duration(i) * time.Millisecond), PayloadSize: 100}
	}
	return out
}

// Enqueue enqueues jobs or fails the test.
func (b *Bundle) Enqueue(t *testing.T, jobs []sqlload.NewJob) {
	t.Helper()
	if err := b.Adapter.Enqueue(context.Background(), &sqlload.EnqueueParams{Jobs: jobs}); err != nil {
		t.Fatal(err)
	}
}

// Claim dequeues up to limit jobs of queue or fails the test.
func (b *Bundle) Claim(t *testing.T, queue string, limit int) []*sqlload.Job {
	t.Helper()
	js, err := b.Adapter.Dequeue(context.Background(), &sqlload.DequeueParams{Queue: queue, Limit: limit})
	if err != nil {
		t.Fatalf("claim from %s: %v", queue, err)
	}
	return js
}

// Pending returns the adapter's pending Seqs, sorted.
func (b *Bundle) Pending(t *testing.T) []int64 {
	t.Helper()
	p, err := b.Adapter.Pending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(p, func(i, j int) bool { return p[i] < p[j] })
	return p
}

// Run runs the suite for the named adapter once per settings variant (once
// with no settings when none are given).
func Run(t *testing.T, name string, variants ...sqlload.Settings) {
	if len(variants) == 0 {
		variants = []sqlload.Settings{nil}
	}
	for _, s := range variants {
		t.Run(name+" "+describe(s), func(t *testing.T) {
			t.Parallel()
			f, err := sqlload.LookupAdapter(name)
			if err != nil {
				t.Fatal(err)
			}
			// Factories must not touch the database: a nil pool is fine.
			probe, err := f(context.Background(), &sqlload.Config{Schema: Schema, Queues: Queues, MaxAttempts: MaxAttempts, Settings: s})
			if err != nil {
				t.Fatalf("new %s adapter without a pool: %v", name, err)
			}
			if _, ok := probe.(sqlload.Worker); ok {
				runWorker(t, name, s)
				return
			}
			runClaimer(t, name, s)
		})
	}
}

// describe names a settings variant: "completion=delete,insert=copy".
func describe(s sqlload.Settings) string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := ""
	for i, k := range keys {
		if i > 0 {
			out += ","
		}
		out += fmt.Sprintf("%s=%v", k, s[k])
	}
	if out == "" {
		return "defaults"
	}
	return out
}

// seqsOf returns the jobs' Seqs, sorted.
func seqsOf[J any](jobs []J, seq func(J) int64) []int64 {
	out := make([]int64, len(jobs))
	for i, j := range jobs {
		out[i] = seq(j)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func newSeq(j sqlload.NewJob) int64 { return j.Seq }
func jobSeq(j *sqlload.Job) int64   { return j.Seq }

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// eventually polls f until it returns true or d passes; it is for waiting
// on delays and backoffs, never for asserting speed.
func eventually(d time.Duration, f func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if f() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}
