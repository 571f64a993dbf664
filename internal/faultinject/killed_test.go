package faultinject_test

import (
	"context"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/internal/pipeline"
	"github.com/pgqtune/pgqtune/sampler"
)

// TestKilledBackends terminates the driver's and the sampler's sessions
// again and again for five seconds mid-run (what a DBA's
// pg_terminate_backend sweep or a pooler's reset does): both reconnect,
// samples on both sides are kept, the window is a server_unavailable
// finding, and the books still balance exactly.
func TestKilledBackends(t *testing.T) {
	dsn := pgtest.NewDB(t)
	var from, to time.Time
	var killedWorkload, killedSampler int
	o := runWith(t, dsn, 0, func(ctx context.Context, _ pipeline.Target) {
		if !after(ctx, 9*time.Second) {
			return
		}
		k, err := newKiller(ctx, dsn)
		if err != nil {
			t.Error(err)
			return
		}
		defer k.close()
		from = time.Now()
		for time.Since(from) < 5*time.Second && ctx.Err() == nil {
			if n, err := k.terminate(ctx, pipeline.WorkloadApp); err == nil {
				killedWorkload += n
			}
			if n, err := k.terminate(ctx, sampler.ApplicationName); err == nil {
				killedSampler += n
			}
			time.Sleep(10 * time.Millisecond)
		}
		to = time.Now()
	})
	t.Logf("terminated %d workload and %d sampler sessions from %s to %s", killedWorkload, killedSampler,
		from.UTC().Format(time.TimeOnly), to.UTC().Format(time.TimeOnly))
	if killedWorkload < 5 || killedSampler < 1 {
		t.Fatalf("the fault did not bite: %d workload, %d sampler sessions terminated", killedWorkload, killedSampler)
	}
	checkOutage(t, o, from, to, "terminated sessions")
}
