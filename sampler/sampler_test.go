package sampler_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgqtune/pgqtune/migrations"
	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sampler"
)

func TestSampler(t *testing.T) {
	migrate := func(p *pgxpool.Pool) {
		if err := migrations.Up(context.Background(), p.Config().ConnString(), "skiplocked", "pgqtune"); err != nil {
			t.Fatalf("migrate: %v", err)
		}
	}

	t.Run("finds the built-in queue and reads the server", func(t *testing.T) {
		b := setup(t, sampler.Config{WorkloadApps: []string{"pgqtune-workload"}}, migrate)
		if got := b.s.QueueTables(); !slices.Equal(got, []string{"pgqtune.job"}) {
			t.Fatalf("QueueTables = %v, want [pgqtune.job]", got)
		}
		info := b.s.Server()
		if info.VersionNum < 120000 || info.Version == "" {
			t.Fatalf("Server() = %+v", info)
		}
		for _, k := range []string{"max_wal_size", "autovacuum_vacuum_scale_factor", "synchronous_commit", "shared_buffers", "work_mem", "max_connections"} {
			if info.Settings[k] == "" {
				t.Errorf("setting %s not read", k)
			}
		}
		if !slices.ContainsFunc(b.s.Notes(), func(n string) bool { return strings.Contains(n, "pgqtune.job (pgqtune-skiplocked)") }) {
			t.Errorf("notes do not say which queue was detected: %q", b.s.Notes())
		}
	})

	t.Run("counters are deltas, gauges are values, settings only once", func(t *testing.T) {
		b := setup(t, sampler.Config{WorkloadApps: []string{"pgqtune-workload"}, HostStats: true}, migrate)
		w := conn(t, b.dsn, "pgqtune-workload-1")
		r := record(t, b.s)
		r.ticks(t, 2)
		exec(t, w, `INSERT INTO pgqtune.job (payload) SELECT '{}' FROM generate_series(1, 250)`)
		exec(t, w, `SELECT pg_stat_force_next_flush()`)
		got := r.waitFor(t, "250 inserts into pgqtune.job", func(s runrec.Sample) bool {
			for _, tb := range s.Tables {
				if tb.Relation == "pgqtune.job" && tb.Ins == 250 {
					return true
				}
			}
			return false
		})
		// The server flushes the backend's database and table counters
		// together, but the sampler reads pg_stat_database before the
		// tables: a flush between the two puts the inserts in the next
		// tick's database delta. Summed over the ticks, none is lost.
		r.ticks(t, 1)
		r.mu.Lock()
		var dbIns int64
		for _, s := range r.samples {
			if s.Database != nil {
				dbIns += s.Database.TupInserted
			}
		}
		r.mu.Unlock()
		if got.Database == nil || dbIns < 250 {
			t.Errorf("database deltas sum to %d inserted (this tick %+v), want >= 250", dbIns, got.Database)
		}
		if got.WAL == nil || got.WAL.LSNBytes <= 0 || !got.WAL.HasStatWAL || got.WAL.Records <= 0 {
			t.Errorf("WAL = %+v, want bytes and records", got.WAL)
		}
		if len(got.Queues) != 1 || got.Queues[0].Enqueued != 250 || got.Queues[0].Depth != 250 {
			t.Errorf("queues = %+v, want 250 enqueued, depth 250", got.Queues)
		}
		if h := got.Host; h == nil || h.CPUs < 1 || h.CPUBusyPct < 0 || h.CPUBusyPct > 100 || h.IOWaitPct < 0 || h.Load1 < 0 {
			t.Errorf("host = %+v", got.Host)
		}
		if got.IntervalS <= 0 {
			t.Errorf("interval_s = %v", got.IntervalS)
		}
		ss := r.stop(t)
		if ss[0].Settings["max_wal_size"] == "" {
			t.Errorf("first sample has no settings: %v", ss[0].Settings)
		}
		for _, s := range ss[1:] {
			if len(s.Settings) != 0 {
				t.Errorf("sample at %v repeats unchanged settings %v", s.T, s.Settings)
			}
			if s.Activity == nil {
				t.Fatalf("sample at %v has no activity: %v", s.T, s.Status)
			}
		}
	})

	t.Run("records a setting changed by a reload", func(t *testing.T) {
		b := setup(t, sampler.Config{}, nil)
		r := record(t, b.s)
		r.ticks(t, 2)
		exec(t, b.pool, `ALTER SYSTEM SET autovacuum_vacuum_cost_delay = '7ms'`)
		t.Cleanup(func() {
			_, _ = b.pool.Exec(context.Background(), `ALTER SYSTEM RESET autovacuum_vacuum_cost_delay`)
			_, _ = b.pool.Exec(context.Background(), `SELECT pg_reload_conf()`)
		})
		exec(t, b.pool, `SELECT pg_reload_conf()`)
		got := r.waitFor(t, "the changed setting", func(s runrec.Sample) bool { return len(s.Settings) > 0 && s.IntervalS > 0 })
		if len(got.Settings) != 1 || got.Settings["autovacuum_vacuum_cost_delay"] != "7ms" {
			t.Errorf("settings = %v, want only autovacuum_vacuum_cost_delay = 7ms", got.Settings)
		}
	})

	t.Run("excludes its own session and marks the workload", func(t *testing.T) {
		b := setup(t, sampler.Config{WorkloadApps: []string{"pgqtune-workload"}}, migrate)
		w := conn(t, b.dsn, "pgqtune-workload-1")
		o := conn(t, b.dsn, "reporting")
		sleepers := make(chan error, 2)
		go func() { _, err := w.Exec(context.Background(), "SELECT pg_sleep(2)"); sleepers <- err }()
		go func() { _, err := o.Exec(context.Background(), "SELECT pg_sleep(2) /* report */"); sleepers <- err }()
		// The sessions must be idle again before they are closed.
		defer func() { <-sleepers; <-sleepers }()
		r := record(t, b.s)
		got := r.waitFor(t, "both sleepers", func(s runrec.Sample) bool {
			return s.Activity != nil && s.Activity.ByWait["Timeout:PgSleep"] >= 2
		})
		var sawReport bool
		for _, nb := range got.Activity.NonWorkload {
			if nb.ApplicationName == sampler.ApplicationName {
				t.Errorf("the sampler lists its own session: %+v", nb)
			}
			if nb.ApplicationName == "pgqtune-workload-1" {
				t.Errorf("a workload session is listed as non-workload: %+v", nb)
			}
			if strings.Contains(nb.Query, "/* report */") {
				sawReport = true
			}
		}
		if !sawReport {
			t.Errorf("non-workload = %+v, want the report query", got.Activity.NonWorkload)
		}
		if got.Activity.Active != 2 || got.Activity.ActiveNonWorkload != 1 {
			t.Errorf("activity = %+v, want 2 active, 1 of them non-workload", got.Activity)
		}
	})

	t.Run("records an overrun tick as skipped", func(t *testing.T) {
		b := setup(t, sampler.Config{}, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var ss []runrec.Sample
		err := b.s.Run(ctx, func(s runrec.Sample) error {
			ss = append(ss, s)
			if len(ss) == 2 {
				time.Sleep(3 * testInterval) // the sink is slow once
			}
			if len(ss) == 4 {
				cancel()
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if len(ss) < 3 || ss[2].Skipped < 2 {
			t.Fatalf("samples after the overrun: %+v, want Skipped >= 2 on the third", ss)
		}
		if ss[2].IntervalS < 3*testInterval.Seconds() {
			t.Errorf("the delta after an overrun covers %.2fs, want the whole gap", ss[2].IntervalS)
		}
	})

	t.Run("a sink error ends Run", func(t *testing.T) {
		b := setup(t, sampler.Config{}, nil)
		boom := errors.New("disk full")
		err := b.s.Run(context.Background(), func(runrec.Sample) error { return boom })
		if !errors.Is(err, boom) {
			t.Fatalf("Run = %v, want the sink's error", err)
		}
	})

	t.Run("reconnects after its session is killed", func(t *testing.T) {
		b := setup(t, sampler.Config{}, nil)
		r := record(t, b.s)
		r.ticks(t, 2)
		exec(t, b.pool, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, sampler.ApplicationName)
		r.waitFor(t, "a reconnect", func(s runrec.Sample) bool {
			return s.Status["server"].Kind == runrec.StatusReconnected
		})
		got := r.waitFor(t, "deltas again after the reconnect", func(s runrec.Sample) bool {
			return s.Database != nil && s.Status["server"].Kind == ""
		})
		if got.Database.XactCommit < 0 {
			t.Errorf("negative delta after reconnect: %+v", got.Database)
		}
		ss := r.stop(t)
		lost := slices.ContainsFunc(ss, func(s runrec.Sample) bool { return s.Status["server"].Kind == runrec.StatusUnavailable })
		if !lost {
			t.Errorf("no sample records the lost connection")
		}
	})
}
