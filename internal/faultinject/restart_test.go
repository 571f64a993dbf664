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
			checkOutage(t, o, restartAt, restartEnd, "restart")
			// A restart, not just a lost session: the postmaster's start
			// time moved, and the finding says so.
			named := false
			for _, f := range findings(o.Report, "server_unavailable") {
				for _, e := range f.Evidence {
					named = named || e.Signal == "pg_postmaster_start_time"
				}
			}
			if !named {
				t.Error("no server_unavailable finding names the restart (pg_postmaster_start_time)")
			}
		})
	}
}
