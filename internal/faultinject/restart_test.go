package faultinject_test

import (
	"context"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/internal/pipeline"
)

// TestServerRestart stops the server in the middle of a run (fast and
// immediate shutdown), keeps it down for a few seconds and starts it again: the run still finishes with a report, the sampler and the
// driver reconnect, the samples before and after the outage are kept, the
// outage is a server_unavailable finding over the window it happened in,
// and the books balance.
func TestServerRestart(t *testing.T) {
	for _, mode := range []string{"fast", "immediate"} {
		t.Run(mode, func(t *testing.T) {
			srv := startServer(t, nil)
			var restartAt, restartEnd time.Time
			var restartErr error
			o := runWith(t, srv.DSN(""), 0, func(ctx context.Context, _ pipeline.Target) {
				if !after(ctx, 9*time.Second) {
					return
				}
				restartAt = time.Now()
				restartErr = outage(context.WithoutCancel(ctx), srv, mode, 4*time.Second)
				restartEnd = time.Now()
			})
			if restartAt.IsZero() || restartErr != nil {
				t.Fatalf("restart did not happen: at %v, err %v", restartAt, restartErr)
			}
			t.Logf("restart (%s) took %s", mode, restartEnd.Sub(restartAt))
			rep, run := o.Report, o.Run
			logFindings(t, rep)

			var before, afterN int
			for _, s := range run.Samples {
				if s.Database == nil {
					continue
				}
				if s.T.Before(restartAt) {
					before++
				} else if s.T.After(restartEnd) {
					afterN++
				}
			}
			if before < 5 || afterN < 2 { // the sampler may back off for seconds after the outage
				t.Fatalf("samples with statistics: %d before the restart, %d after; want both kept", before, afterN)
			}
			if len(serverDown(run)) == 0 {
				t.Fatal("no sample records the server as unavailable")
			}
			fs := findings(rep, "server_unavailable")
			if len(fs) == 0 {
				t.Fatal("no server_unavailable finding")
			}
			hit := false
			for _, f := range fs {
				// The window must hold the outage (give it one tick of slack
				// on each side for the sampler's clock).
				if !f.Start.After(restartEnd.Add(time.Second)) && !f.End.Before(restartAt.Add(-time.Second)) {
					hit = true
				}
			}
			if !hit {
				t.Fatalf("server_unavailable findings %v..%v do not cover the restart %s..%s",
					fs[0].Start, fs[0].End, restartAt.UTC().Format(time.TimeOnly), restartEnd.UTC().Format(time.TimeOnly))
			}
			checkBooks(t, rep)
		})
	}
}
