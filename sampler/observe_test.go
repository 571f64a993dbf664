package sampler_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sampler"
)

// TestObserveExternalWorkload drives queue tables the sampler did not
// create from separate processes (pgbench: one producing at a fixed rate,
// one consuming with SKIP LOCKED) and checks that the throughput series the
// database side yields (ObservedTick) adds up to what the workload did,
// within 10 %.
func TestObserveExternalWorkload(t *testing.T) {
	cases := []struct {
		name   string
		schema string
		queues []string // named queue tables; empty = auto-detect
		system string
		// produce and consume are pgbench scripts.
		produce, consume string
		// truth returns (enqueued, completed) from the table after the run.
		truth string
		// late: nothing identifies the queue until the workload runs.
		late bool
		// depth counts the waiting jobs at the end ("" when the sampler
		// cannot know it).
		depth string
	}{
		{
			name: "update-completion table, auto-detected",
			schema: `CREATE SCHEMA ext;
				CREATE TABLE ext.job (id bigserial PRIMARY KEY, queue text NOT NULL DEFAULT 'default',
					state text NOT NULL DEFAULT 'pending', priority int NOT NULL DEFAULT 0,
					run_at timestamptz NOT NULL DEFAULT now(), payload jsonb, attempts int NOT NULL DEFAULT 0,
					max_attempts int NOT NULL DEFAULT 3, finished_at timestamptz);
				CREATE INDEX job_pending ON ext.job (run_at) WHERE state = 'pending';
				CREATE INDEX job_active ON ext.job (id) WHERE state = 'active';`,
			system:  sampler.SystemSkipLocked,
			produce: `INSERT INTO ext.job (payload) VALUES ('{"n": 1}');`,
			consume: `WITH c AS (UPDATE ext.job SET state = 'active', attempts = attempts + 1
					WHERE id = (SELECT id FROM ext.job WHERE state = 'pending' ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED)
					RETURNING id)
				SELECT coalesce(max(id), 0) AS id FROM c \gset
				\sleep 3 ms
				UPDATE ext.job SET state = 'completed', finished_at = now() WHERE id = :id;`,
			truth: `SELECT count(*), count(*) FILTER (WHERE state = 'completed') FROM ext.job`,
			depth: `SELECT count(*) FROM ext.job WHERE state = 'pending'`,
		},
		{
			name: "home-grown delete-completion table, named",
			schema: `CREATE SCHEMA app;
				CREATE TABLE app.tasks (id bigserial PRIMARY KEY, body text, created timestamptz DEFAULT now());`,
			queues:  []string{"app.tasks"},
			system:  sampler.SystemTable,
			produce: `INSERT INTO app.tasks (body) VALUES ('x');`,
			consume: `DELETE FROM app.tasks WHERE id = (SELECT id FROM app.tasks ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED);`,
			truth:   `SELECT last_value, last_value - (SELECT count(*) FROM app.tasks) FROM app.tasks_id_seq`,
			depth:   `SELECT count(*) FROM app.tasks`,
		},
		{
			name: "home-grown table found from its SKIP LOCKED statement after the start",
			schema: `CREATE SCHEMA app2;
				CREATE TABLE app2.work_items (id bigserial PRIMARY KEY, status text NOT NULL DEFAULT 'new', body text);
				CREATE INDEX ON app2.work_items (id) WHERE status = 'new';`,
			system:  sampler.SystemTable,
			produce: `INSERT INTO app2.work_items (body) VALUES ('x');`,
			consume: `UPDATE app2.work_items SET status = 'done'
				WHERE id = (SELECT id FROM app2.work_items WHERE status = 'new' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED);`,
			truth: `SELECT count(*), count(*) FILTER (WHERE status = 'done') FROM app2.work_items`,
			late:  true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t, sampler.Config{Interval: time.Second, ReadOnly: true, QueueTables: tc.queues},
				func(p *pgxpool.Pool) { exec(t, p, tc.schema) })
			if q := b.s.QueueTables(); len(q) != map[bool]int{false: 1, true: 0}[tc.late] {
				t.Fatalf("queue tables at start = %v", q)
			}
			r := record(t, b.s)
			r.ticks(t, 2)

			dir := t.TempDir()
			prod, cons := filepath.Join(dir, "produce.sql"), filepath.Join(dir, "consume.sql")
			writeFile(t, prod, tc.produce)
			writeFile(t, cons, tc.consume)
			// A fixed count of jobs at a capped rate (1600 at 200/s: 8 s at the
			// least), worked off until none
			// is left: the same work however slow the machine is.
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			producer := pgbench(ctx, t, b.dsn, "-f", prod, "-c", "2", "-R", "200", "-t", "800")
			consumer := pgbench(ctx, t, b.dsn, "-f", cons, "-c", "4", "-T", "80")
			var pout, cout bytes.Buffer
			producer.Stdout, producer.Stderr = &pout, &pout
			consumer.Stdout, consumer.Stderr = &cout, &cout
			if err := producer.Start(); err != nil {
				t.Fatal(err)
			}
			if err := consumer.Start(); err != nil {
				t.Fatal(err)
			}
			if err := producer.Wait(); err != nil {
				t.Fatalf("producer: %v\n%s", err, pout.String())
			}
			drained := false
			for !drained && ctx.Err() == nil {
				var e, d int64
				if err := b.pool.QueryRow(ctx, tc.truth).Scan(&e, &d); err != nil {
					t.Fatal(err)
				}
				drained = d >= e
				time.Sleep(100 * time.Millisecond)
			}
			// Stopped by us once the queue is empty: its exit status says
			// only that it was interrupted.
			_ = consumer.Process.Signal(os.Interrupt)
			_ = consumer.Wait()
			if !drained {
				t.Fatalf("the consumers did not work off the 1600 jobs in time:\n%s", cout.String())
			}
			// The workload's sessions flushed their statistics as they
			// exited; two more ticks see them.
			r.ticks(t, 3)
			ss := r.stop(t)

			var truthEnq, truthDone int64
			if err := b.pool.QueryRow(context.Background(), tc.truth).Scan(&truthEnq, &truthDone); err != nil {
				t.Fatal(err)
			}
			if n := processed(t, pout.String()); n != truthEnq {
				t.Fatalf("the producer says it enqueued %d, the table says %d", n, truthEnq)
			}
			var enq, done, lastDepth int64
			busy := 0
			var prev *runrec.Sample
			for i := range ss {
				assertNonNegative(t, ss[i])
				wt := sampler.ObservedTick(prev, &ss[i])
				prev = &ss[i]
				if testing.Verbose() {
					t.Logf("%s enq %4d deq %4d done %4d depth %4d", wt.T.Format("15:04:05"), wt.Enqueued, wt.Dequeued, wt.Completed, wt.Depth)
				}
				enq += wt.Enqueued
				done += wt.Completed
				lastDepth = wt.Depth
				if wt.Completed > 0 {
					busy++
				}
				if len(ss[i].Queues) == 1 && ss[i].Queues[0].System != tc.system {
					t.Errorf("system = %q, want %q", ss[i].Queues[0].System, tc.system)
				}
			}
			t.Logf("workload: enqueued %d, completed %d; observed: enqueued %d, completed %d over %d samples (%d with completions)",
				truthEnq, truthDone, enq, done, len(ss), busy)
			if truthEnq != 1600 || truthDone != truthEnq {
				t.Fatalf("the workload enqueued %d and completed %d; want 1600 of each", truthEnq, truthDone)
			}
			if tc.depth != "" {
				var want int64
				if err := b.pool.QueryRow(context.Background(), tc.depth).Scan(&want); err != nil {
					t.Fatal(err)
				}
				if lastDepth != want {
					t.Errorf("depth at the end = %d, want %d", lastDepth, want)
				}
			} else if lastDepth != -1 {
				t.Errorf("depth at the end = %d, want -1 (unknown)", lastDepth)
			}
			within(t, "enqueued", enq, truthEnq)
			within(t, "completed", done, truthDone)
			if tc.late {
				if q := b.s.QueueTables(); len(q) != 1 {
					t.Errorf("queue tables after the run = %v, want the claimed table", q)
				}
				t.Logf("notes: %q", b.s.Notes())
			}
			if busy < 6 {
				t.Errorf("only %d seconds show completions; the series should cover the ~8 s of work", busy)
			}
		})
	}
}

func within(t *testing.T, what string, got, want int64) {
	t.Helper()
	if math.Abs(float64(got-want)) > 0.10*float64(want) {
		t.Errorf("observed %s = %d, workload counted %d: off by more than 10%%", what, got, want)
	}
}

// pgbench returns a pgbench command against dsn's database.
func pgbench(ctx context.Context, t *testing.T, dsn string, args ...string) *osexec.Cmd {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	srv := pgtest.Server()
	base := []string{"-n", "-h", "127.0.0.1", "-p", strconv.Itoa(srv.Port()), "-U", cfg.User}
	cmd := osexec.CommandContext(ctx, filepath.Join(srv.BinDir(), "pgbench"), append(append(base, args...), cfg.Database)...)
	cmd.Env = append(os.Environ(), "PGAPPNAME=external-worker")
	return cmd
}

var processedRE = regexp.MustCompile(`number of transactions actually processed: (\d+)`)

// processed reads pgbench's own count of transactions.
func processed(t *testing.T, out string) int64 {
	t.Helper()
	m := processedRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no transaction count in pgbench output:\n%s", out)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s+"\n"), 0o644); err != nil {
		t.Fatal(fmt.Errorf("write %s: %w", path, err))
	}
}
