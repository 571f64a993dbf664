package river_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/internal/adaptertest"
	"github.com/pgqtune/pgqtune/sqlload"
)

func TestRiver(t *testing.T) {
	adaptertest.Run(t, "river",
		sqlload.Settings{"fetch_cooldown": "5ms"},
		sqlload.Settings{"insert": "copy", "poll_only": true, "fetch_cooldown": "5ms", "fetch_poll_interval": "50ms", "retry_backoff": "100ms"},
	)
}

func TestRiverAdapter(t *testing.T) {
	ctx := context.Background()

	t.Run("River's own tables go into the run's schema, nothing into public", func(t *testing.T) {
		t.Parallel()
		b := adaptertest.Setup(t, "river", nil)
		var inSchema, inPublic int
		err := b.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE schemaname = $1), count(*) FILTER (WHERE schemaname = 'public')
			FROM pg_tables WHERE tablename LIKE 'river%'`, adaptertest.Schema).Scan(&inSchema, &inPublic)
		if err != nil {
			t.Fatal(err)
		}
		if inSchema == 0 || inPublic != 0 {
			t.Fatalf("river tables: %d in %s, %d in public", inSchema, adaptertest.Schema, inPublic)
		}
		if got := b.Adapter.Tables(); len(got) != 1 || got[0] != `"pgqtune"."river_job"` {
			t.Fatalf("Tables() = %v", got)
		}
	})

	t.Run("jobs carry seq, priority, max attempts and run_at into river_job", func(t *testing.T) {
		t.Parallel()
		b := adaptertest.Setup(t, "river", sqlload.Settings{"insert": "single"})
		jobs := b.NewJobs("other", 3)
		jobs[0].Priority = -5 // clamps to River's 1
		jobs[1].Priority = 2  // River's 3
		jobs[2].Priority = 9  // clamps to River's 4
		jobs[2].RunAt = time.Now().Add(time.Hour)
		b.Enqueue(t, jobs)
		rows, err := b.Pool.Query(ctx, `SELECT (args->>'seq')::bigint, priority, max_attempts, queue, state, kind
			FROM pgqtune.river_job ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			seq                    int64
			prio, maxAtt           int
			queue, state, kindName string
		}
		got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			return x, r.Scan(&x.seq, &x.prio, &x.maxAtt, &x.queue, &x.state, &x.kindName)
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []row{
			{jobs[0].Seq, 1, adaptertest.MaxAttempts, "other", "available", "pgqtune"},
			{jobs[1].Seq, 3, adaptertest.MaxAttempts, "other", "available", "pgqtune"},
			{jobs[2].Seq, 4, adaptertest.MaxAttempts, "other", "scheduled", "pgqtune"},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("river_job rows\n got %v\nwant %v", got, want)
		}
		st, err := b.Adapter.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Depth != 2 || st.Scheduled != 1 || st.InFlight != 0 {
			t.Fatalf("stats = %+v, want depth 2, scheduled 1", st)
		}
	})

	t.Run("lookup finds jobs in any state through the args index", func(t *testing.T) {
		t.Parallel()
		b := adaptertest.Setup(t, "river", sqlload.Settings{"fetch_cooldown": "5ms"})
		jobs := b.NewJobs("default", 4)
		b.Enqueue(t, jobs)
		wctx, cancel := context.WithCancel(ctx)
		var handled atomic.Int64
		errc := make(chan error, 1)
		go func() {
			errc <- b.Adapter.(sqlload.Worker).Work(wctx, &sqlload.WorkParams{Queues: []string{"default"}, Workers: 2,
				Handle: func(context.Context, *sqlload.Job) error {
					if handled.Add(1) == int64(len(jobs)) {
						cancel()
					}
					return nil
				}})
		}()
		select {
		case err := <-errc:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(30 * time.Second):
			cancel()
			t.Fatalf("handled %d of %d jobs in 30s", handled.Load(), len(jobs))
		}
		var completed int
		if err := b.Pool.QueryRow(ctx, `SELECT count(*) FROM pgqtune.river_job WHERE state = 'completed'`).Scan(&completed); err != nil || completed != len(jobs) {
			t.Fatalf("%d completed rows after Work returned (err %v), want %d: Stop must flush River's completer", completed, err, len(jobs))
		}
		found, err := b.Adapter.(sqlload.Lookuper).Lookup(ctx, []int64{jobs[1].Seq, jobs[3].Seq, 424242})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(found)
		if !slices.Equal(found, []int64{jobs[1].Seq, jobs[3].Seq}) {
			t.Fatalf("lookup = %v, want %d and %d", found, jobs[1].Seq, jobs[3].Seq)
		}
	})

	t.Run("bad settings and schemas are errors naming them", func(t *testing.T) {
		t.Parallel()
		f, err := sqlload.LookupAdapter("river")
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			schema   string
			settings sqlload.Settings
			want     string
		}{
			{"pgqtune", sqlload.Settings{"completion": "delete"}, `"completion"`},
			{"pgqtune", sqlload.Settings{"insert": "bulk"}, `"insert"`},
			{"pgqtune", sqlload.Settings{"fetch_cooldown": "1s", "fetch_poll_interval": "10ms"}, `"fetch_poll_interval"`},
			{"Mixed Case; schema", nil, `"Mixed Case; schema"`},
			{"pgqtune", sqlload.Settings{"max_workers": 20000}, `"max_workers"`},
		} {
			_, err := f(ctx, &sqlload.Config{Schema: tc.schema, Settings: tc.settings})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("schema %q settings %v: error = %v, want one naming %s", tc.schema, tc.settings, err, tc.want)
			}
		}
	})
}
