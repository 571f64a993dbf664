package sqlload_test

import (
	"context"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/internal/pgserver"
	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sqlload"
)

// TestRunSurvivesServerRestart crashes the server (immediate shutdown, so
// transactions in flight die with their outcome unknown to the driver) and
// starts it again mid-run, on a cluster of its own so the package's other
// tests are not hit. The books must still balance exactly.
func TestRunSurvivesServerRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, err := pgserver.Start(ctx, pgserver.Options{Database: "restart"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	dsn := srv.DSN("restart")
	sc := loadYAML(t, `name: restarted
rate: 300
producers: 2
consumers: 3
enqueue_batch: 5
dequeue_batch: 5
drain: 5s
phases:
  - {name: before, profile: constant, duration: 2s}
  - {name: restart, profile: constant, duration: 3s}
  - {name: after, profile: constant, duration: 2s}
`)
	if err := sqlload.Setup(ctx, dsn, "pgqtune", sc); err != nil {
		t.Fatal(err)
	}
	restarted := make(chan error, 1)
	time.AfterFunc(2500*time.Millisecond, func() {
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		restarted <- srv.Restart(rctx, "immediate")
	})
	var ticks []runrec.WorkloadTick
	res, err := sqlload.Run(ctx, &sqlload.RunParams{DSN: dsn, Schema: "pgqtune", Scenario: sc,
		OnTick: func(tk runrec.WorkloadTick) { ticks = append(ticks, tk) }})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if err := <-restarted; err != nil {
		t.Fatalf("restart: %v\n%s", err, srv.Logs(20))
	}
	in := res.Integrity
	t.Logf("integrity %+v; notes %v", in, res.Notes)
	if in.Lost != 0 || in.Duplicated != 0 || in.Enqueued != in.Completed+in.Pending+in.Failed {
		t.Fatalf("integrity broken across a restart: %+v", in)
	}
	var errs, afterDone int64
	for _, tk := range ticks {
		errs += tk.Errors
		if tk.Phase == "after" {
			afterDone += tk.Completed
		}
	}
	if errs == 0 {
		t.Fatal("the restart caused no errors: did it happen mid-run?")
	}
	if afterDone == 0 {
		t.Fatal("nothing completed after the restart: the driver did not reconnect")
	}
}
