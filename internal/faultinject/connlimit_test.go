package faultinject_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgqtune/pgqtune/internal/pipeline"
)

// maxConns keeps the cluster small enough that an eater can fill it.
const maxConns = 20

// eater holds connections from another application, as a connection storm
// from a misconfigured service would.
type eater struct{ conns []*pgx.Conn }

// eat opens connections to dsn until the server refuses one for lack of
// slots and reports whether it did.
func (e *eater) eat(ctx context.Context, dsn string) (full bool, err error) {
	for len(e.conns) < 4*maxConns {
		c, err := pgx.Connect(ctx, dsn+"&application_name=eater")
		if err != nil {
			if tooManyClients(err) {
				return true, nil
			}
			return false, err
		}
		e.conns = append(e.conns, c)
	}
	return false, nil
}

func (e *eater) release() {
	for _, c := range e.conns {
		c.Close(context.Background())
	}
	e.conns = nil
}

// tooManyClients says whether err is Postgres refusing a connection because
// every slot is taken (SQLSTATE 53300).
func tooManyClients(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "53300"
}

// TestConnectionLimit fills max_connections mid-run and makes the driver
// reconnect (its sessions are terminated once, as a failover or pooler
// reset would): the driver cannot get back in, the run still completes, and
// the drop is a connection_saturation finding with the connection count as
// evidence.
func TestConnectionLimit(t *testing.T) {
	srv := startServer(t, map[string]string{"max_connections": "20", "superuser_reserved_connections": "1"})
	dsn := srv.DSN("")
	var from, to time.Time
	var held int
	o := runWith(t, dsn, 0, func(ctx context.Context, _ pipeline.Target) {
		if !after(ctx, 9*time.Second) {
			return
		}
		// The killer connects first (once the eater is done there is no
		// slot left for it) and stays for the window: whenever a workload
		// session wins a freed slot back, it is ended again and the eater
		// takes the slot, so the driver cannot get back in until the end.
		k, err := newKiller(ctx, dsn)
		if err != nil {
			t.Error(err)
			return
		}
		defer k.close()
		var e eater
		defer e.release()
		from = time.Now()
		full, err := e.eat(ctx, dsn)
		if err != nil || !full {
			t.Errorf("could not fill the server: full %v, err %v", full, err)
			return
		}
		ended := 0
		for time.Since(from) < 6*time.Second && ctx.Err() == nil {
			n, err := k.terminate(ctx, pipeline.WorkloadApp)
			if err != nil {
				t.Errorf("terminate the workload's sessions: %v", err)
				return
			}
			ended += n
			if _, err := e.eat(ctx, dsn); err != nil {
				t.Errorf("eat: %v", err)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		if ended == 0 {
			t.Error("no workload session was ended: the driver never had to reconnect")
		}
		held = len(e.conns)
		to = time.Now()
	})
	t.Logf("held %d connections from %s to %s", held, from.UTC().Format(time.TimeOnly), to.UTC().Format(time.TimeOnly))
	rep := o.Report
	logFindings(t, rep)
	var hit *pipeline.Outcome
	for _, f := range findings(rep, "connection_saturation") {
		if !f.Start.After(to.Add(time.Second)) && !f.End.Before(from.Add(-time.Second)) {
			hit = o
			ev := ""
			for _, e := range f.Evidence {
				ev += e.Signal + " "
			}
			if !strings.Contains(ev, "pg_stat_activity.connections") {
				t.Errorf("connection_saturation finding without the connection count as evidence: %s", ev)
			}
		}
	}
	if hit == nil {
		// On a saturated host the same seconds also show WAL or client
		// stalls; the full server must then still be named, as a
		// contributing cause of the finding over the window.
		for _, f := range rep.Findings {
			if f.Start.After(to.Add(time.Second)) || f.End.Before(from.Add(-time.Second)) {
				continue
			}
			for _, c := range f.Contributing {
				if c.Cause == "connection_saturation" {
					t.Logf("connection_saturation named as contributing to %s (%s)", f.ID, f.Cause)
					hit = o
				}
			}
		}
	}
	if hit == nil {
		t.Fatal("no connection_saturation finding (or contributing cause) over the window the connections were taken")
	}
	checkBooks(t, rep)
}

// TestConnectionLimitAtStart: with every slot taken before the run, the run
// fails at once with one line that says why, writes no run, and leaves no
// schema behind.
func TestConnectionLimitAtStart(t *testing.T) {
	srv := startServer(t, map[string]string{"max_connections": "20", "superuser_reserved_connections": "1"})
	dsn := srv.DSN("")
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	var e eater
	full, err := e.eat(ctx, dsn)
	if err != nil || !full {
		e.release()
		t.Fatalf("could not fill the server: full %v, err %v", full, err)
	}
	out := t.TempDir() + "/run"
	_, err = pipeline.Run(ctx, pipeline.RunOptions{DSN: dsn, Scenario: scenario, Out: out})
	e.release()
	if err == nil {
		t.Fatal("run succeeded without a connection")
	}
	msg := err.Error()
	t.Logf("error: %s", msg)
	if strings.Contains(msg, "\n") || !strings.Contains(msg, "too many clients") || !strings.Contains(msg, "raise max_connections") {
		t.Fatalf("want one line saying the server has too many clients and what to do, got %q", msg)
	}
	// A full server is not bad input: exit 1, not 2.
	if errors.Is(err, pipeline.ErrBadInput) {
		t.Fatalf("a full server reported as bad input: %v", err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = 'pgqtune'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatal("a failed start left the pgqtune schema behind")
	}
}
