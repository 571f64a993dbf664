package pgmq_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/internal/adaptertest"
	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/sqlload"
	"github.com/pgqtune/pgqtune/sqlload/adapter/pgmq"
)

func TestPgmq(t *testing.T) {
	adaptertest.Run(t, "pgmq",
		sqlload.Settings{"completion": "delete"},
		sqlload.Settings{"completion": "archive", "extension": "off", "visibility_timeout": "1m", "notify": true},
		// Extension mode, against a stand-in for pgmq's functions (see
		// pgmq.ShimPrefix): the calls, their arguments and the read_ct guard.
		sqlload.Settings{"extension": "on", "queue_prefix": pgmq.ShimPrefix},
		sqlload.Settings{"extension": "on", "queue_prefix": pgmq.ShimPrefix, "completion": "archive"},
	)
}

func TestPgmqVisibilityTimeout(t *testing.T) {
	ctx := context.Background()
	b := adaptertest.Setup(t, "pgmq", sqlload.Settings{"visibility_timeout": "300ms"})
	jobs := b.NewJobs("default", 3)
	b.Enqueue(t, jobs)
	read := func() []*sqlload.Job {
		js, err := b.Adapter.Dequeue(ctx, &sqlload.DequeueParams{Queue: "default", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return js
	}
	first := read()
	if len(first) != 3 {
		t.Fatalf("first read got %d messages, want 3", len(first))
	}
	// Fail one with a retry; leave the others unfinished so their
	// visibility timeout expires.
	if err := b.Adapter.Fail(ctx, &sqlload.FailParams{Jobs: first[:1], RetryAt: time.Now().Add(400 * time.Millisecond), Error: "x"}); err != nil {
		t.Fatal(err)
	}
	if again := read(); len(again) != 0 {
		t.Fatalf("hidden messages read again at once: %d", len(again))
	}
	var second []*sqlload.Job
	deadline := time.Now().Add(10 * time.Second)
	for len(second) < 3 && time.Now().Before(deadline) {
		second = append(second, read()...)
		time.Sleep(50 * time.Millisecond)
	}
	if len(second) != 3 {
		t.Fatalf("after the timeouts, %d of 3 messages came back", len(second))
	}
	for _, j := range second {
		if j.Attempt != 2 {
			t.Fatalf("seq %d: attempt %d, want 2 (read_ct)", j.Seq, j.Attempt)
		}
		if want := j.Seq != first[0].Seq; j.Redelivered != want {
			t.Fatalf("seq %d: redelivered=%v, want %v (the failed one is a retry, the others expired)", j.Seq, j.Redelivered, want)
		}
	}
	if err := b.Adapter.Complete(ctx, &sqlload.CompleteParams{Jobs: second}); err != nil {
		t.Fatal(err)
	}
	if p := b.Pending(t); len(p) != 0 {
		t.Fatalf("pending after completing the redeliveries = %v", p)
	}
}

func TestPgmqExtensionDetection(t *testing.T) {
	ctx := context.Background()
	t.Run("not installed: version is empty", func(t *testing.T) {
		pool := pgtest.Pool(t, pgtest.NewDB(t))
		v, err := pgmq.ExtensionVersion(ctx, pool)
		if err != nil || v != "" {
			t.Fatalf("version = %q, err %v; want empty (pgmq is not installable here)", v, err)
		}
	})
	t.Run("auto falls back to the built-in tables", func(t *testing.T) {
		b := adaptertest.Setup(t, "pgmq", sqlload.Settings{"extension": "auto"})
		d := b.Adapter.(sqlload.Describer).Describe()
		if d["backend"] != "builtin" {
			t.Fatalf("backend = %v, want builtin", d["backend"])
		}
		for _, tbl := range b.Adapter.Tables() {
			if !strings.HasPrefix(tbl, `"`+adaptertest.Schema+`".`) {
				t.Fatalf("table %s is not in the run's schema", tbl)
			}
		}
		var n int
		if err := b.Pool.QueryRow(ctx, `SELECT count(*) FROM pgqtune.meta WHERE queue_name = ANY($1)`, adaptertest.Queues).Scan(&n); err != nil || n != len(adaptertest.Queues) {
			t.Fatalf("meta lists %d of the queues (err %v), want %d", n, err, len(adaptertest.Queues))
		}
	})
	t.Run("on with the extension (a stand-in) drives pgmq's functions", func(t *testing.T) {
		b := adaptertest.Setup(t, "pgmq", sqlload.Settings{"extension": "on", "queue_prefix": pgmq.ShimPrefix})
		if d := b.Adapter.(sqlload.Describer).Describe(); d["backend"] != "extension shim" {
			t.Fatalf("backend = %v, want extension shim", d["backend"])
		}
		if got := b.Adapter.Tables(); got[0] != `"pgmq"."q_shim_default"` {
			t.Fatalf("Tables() = %v, want pgmq's own tables first", got)
		}
		jobs := b.NewJobs("default", 2)
		jobs[1].RunAt = time.Now().Add(time.Hour)
		b.Enqueue(t, jobs)
		var visible, delayed int
		err := b.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE vt <= now()), count(*) FILTER (WHERE vt > now() + interval '59 minutes') FROM pgmq.q_shim_default`).Scan(&visible, &delayed)
		if err != nil || visible != 1 || delayed != 1 {
			t.Fatalf("pgmq.q_shim_default: %d visible, %d delayed (err %v), want 1 and 1", visible, delayed, err)
		}
		var own int
		if err := b.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = $1`, adaptertest.Schema).Scan(&own); err != nil || own != 0 {
			t.Fatalf("%d built-in tables created in extension mode (err %v)", own, err)
		}
	})
	t.Run("on without the extension fails setup and creates nothing", func(t *testing.T) {
		dsn := pgtest.NewDB(t)
		pool := pgtest.Pool(t, dsn)
		f, err := sqlload.LookupAdapter("pgmq")
		if err != nil {
			t.Fatal(err)
		}
		a, err := f(ctx, &sqlload.Config{Pool: pool, DSN: dsn, Schema: "pgqtune", Queues: []string{"default"}, Settings: sqlload.Settings{"extension": "on"}})
		if err != nil {
			t.Fatal(err)
		}
		err = a.Setup(ctx)
		if err == nil || !strings.Contains(err.Error(), "pgmq extension is not installed") {
			t.Fatalf("setup error = %v, want one saying the extension is missing", err)
		}
		var tables int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'pgqtune'`).Scan(&tables); err != nil || tables != 0 {
			t.Fatalf("%d tables created (err %v), want none", tables, err)
		}
	})
}

func TestPgmqSettings(t *testing.T) {
	f, err := sqlload.LookupAdapter("pgmq")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		settings sqlload.Settings
		queues   []string
		want     string
	}{
		{"update is not a pgmq completion", sqlload.Settings{"completion": "update"}, nil, `"completion"`},
		{"unknown key", sqlload.Settings{"vt": "30s"}, nil, `"vt"`},
		{"zero timeout", sqlload.Settings{"visibility_timeout": "0s"}, nil, `"visibility_timeout"`},
		{"bad extension mode", sqlload.Settings{"extension": "yes"}, nil, `"extension"`},
		{"queue name pgmq refuses", nil, []string{"Bad-Name"}, `"Bad-Name"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f(context.Background(), &sqlload.Config{Schema: "pgqtune", Queues: tc.queues, Settings: tc.settings})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one naming %s", err, tc.want)
			}
		})
	}
}

func TestPgmqNotify(t *testing.T) {
	ctx := context.Background()
	b := adaptertest.Setup(t, "pgmq", sqlload.Settings{"notify": true})
	ch := b.Adapter.(sqlload.Notifier).Channel()
	if ch != "pgqtune_"+adaptertest.Schema {
		t.Fatalf("channel = %q", ch)
	}
	conn, err := pgx.Connect(ctx, b.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	b.Enqueue(t, b.NewJobs("other", 3))
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	n, err := conn.WaitForNotification(wctx)
	if err != nil {
		t.Fatalf("no notification after a send: %v", err)
	}
	if n.Payload != "other" {
		t.Fatalf("notification payload %q, want the queue name", n.Payload)
	}
}
