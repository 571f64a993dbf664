package live_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/report/live"
	"github.com/pgqtune/pgqtune/runrec"
)

func TestServer(t *testing.T) {
	setup := func(t *testing.T) (*live.Server, func() string) {
		t.Helper()
		s, err := live.Start("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		scrape := func() string {
			t.Helper()
			resp, err := http.Get("http://" + s.Addr() + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /metrics: %s", resp.Status)
			}
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		return s, scrape
	}

	t.Run("exposes throughput, latency, depth and findings", func(t *testing.T) {
		s, scrape := setup(t)
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		s.Tick(runrec.WorkloadTick{T: now, Warmup: true, Enqueued: 1000, Completed: 1000})
		s.Tick(runrec.WorkloadTick{T: now.Add(time.Second), Enqueued: 500, Completed: 480, Depth: 42, OldestPendingAgeS: 1.5,
			LatencyMs: &runrec.Percentiles{P50: 2, P95: 8, P99: 20, Max: 50, Count: 480}})
		s.Tick(runrec.WorkloadTick{T: now.Add(2 * time.Second), Enqueued: 500, Completed: 510, Depth: 12, OldestPendingAgeS: -1})
		s.Sample(runrec.Sample{T: now, Locks: &runrec.Locks{Waiting: 3},
			Activity:     &runrec.Activity{Active: 9, ByWait: map[string]int{"Lock:relation": 3, "CPU": 6}},
			WAL:          &runrec.WALStats{LSNBytes: 4096},
			Checkpointer: &runrec.CheckpointStats{Requested: 1},
			Tables:       []runrec.TableStats{{Relation: "pgqtune.job", Queue: true, DeadTup: 777, Autovacuum: 1}, {Relation: "public.other", DeadTup: 5}}})
		s.SetFindings(2)
		out := scrape()
		for _, want := range []string{
			"pgqtune_jobs_completed_total 990", // warm-up excluded
			"pgqtune_jobs_enqueued_total 1000",
			"pgqtune_throughput_jobs_per_second 510",
			// A histogram of the 480 jobs: 240 by 2.5 ms, 456 by 10 ms,
			// 475 by 25 ms, all by 50 ms.
			"# TYPE pgqtune_job_latency_seconds histogram",
			`pgqtune_job_latency_seconds_bucket{le="0.0025"} 240`,
			`pgqtune_job_latency_seconds_bucket{le="0.01"} 456`,
			`pgqtune_job_latency_seconds_bucket{le="0.025"} 475`,
			`pgqtune_job_latency_seconds_bucket{le="0.05"} 480`,
			"pgqtune_job_latency_seconds_count 480",
			"pgqtune_queue_depth_jobs 12",
			"pgqtune_queue_oldest_pending_seconds 1.5", // unknown (-1) keeps the last known
			"pgqtune_findings 2",
			"pgqtune_warmup 0",
			"pgqtune_lock_waiting_sessions 3",
			`pgqtune_active_backends_by_wait{wait_event_type="Lock"} 3`,
			"pgqtune_wal_bytes_total 4096",
			`pgqtune_checkpoints_total{kind="requested"} 1`,
			`pgqtune_dead_tuples{table="pgqtune.job"} 777`,
			`pgqtune_autovacuums_total{table="pgqtune.job"} 1`,
			"go_goroutines",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("metrics lack %q", want)
			}
		}
		if strings.Contains(out, "public.other") {
			t.Error("a table that is not a queue table was exported")
		}
	})

	t.Run("close stops serving and is idempotent", func(t *testing.T) {
		s, _ := setup(t)
		addr := s.Addr()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := http.Get("http://" + addr + "/metrics"); err == nil {
			t.Fatal("still serving after Close")
		}
	})

	t.Run("a nil server is a no-op", func(t *testing.T) {
		var s *live.Server
		s.Tick(runrec.WorkloadTick{})
		s.Sample(runrec.Sample{})
		s.SetFindings(1)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a busy address is an error", func(t *testing.T) {
		s, _ := setup(t)
		if _, err := live.Start(s.Addr()); err == nil {
			t.Fatal("second Start on the same address succeeded")
		}
	})
}

// TestGrafanaDashboard checks that every metric the shipped dashboard
// queries is one the server exposes.
func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile("grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	s, err := live.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Tick(runrec.WorkloadTick{Completed: 1, LatencyMs: &runrec.Percentiles{P99: 1}})
	s.Sample(runrec.Sample{Locks: &runrec.Locks{}, Activity: &runrec.Activity{ByWait: map[string]int{"CPU": 1}},
		WAL: &runrec.WALStats{}, Checkpointer: &runrec.CheckpointStats{}, XminHolders: []runrec.XminHolder{{XminAge: 1}},
		Tables: []runrec.TableStats{{Relation: "q.job", Queue: true}}})
	resp, err := http.Get("http://" + s.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	exposed, _ := io.ReadAll(resp.Body)
	names := regexp.MustCompile(`pgqtune_[a-z_]+`)
	n := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, name := range names.FindAllString(tg.Expr, -1) {
				n++
				if !strings.Contains(string(exposed), "\n"+name) {
					t.Errorf("dashboard queries %s, which the server does not expose", name)
				}
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d metric references found in the dashboard", n)
	}
}

// TestGrafanaDashboardConventions: counters are graphed as rate() over
// $__rate_interval (a raw total only climbs), latency comes from the
// histogram, each panel has one unit, and jobs/s is not "reqps".
func TestGrafanaDashboardConventions(t *testing.T) {
	b, err := os.ReadFile("grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title       string `json:"title"`
			FieldConfig struct {
				Defaults struct {
					Unit string `json:"unit"`
				} `json:"defaults"`
				Overrides []any `json:"overrides"`
			} `json:"fieldConfig"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	counter := regexp.MustCompile(`pgqtune_[a-z_]+(_total|_bucket)\b`)
	rated := regexp.MustCompile(`rate\(pgqtune_[a-z_]+(_total|_bucket)\{[^}]*\}\[\$__rate_interval\]\)`)
	for _, p := range dash.Panels {
		if p.FieldConfig.Defaults.Unit == "" || p.FieldConfig.Defaults.Unit == "reqps" || len(p.FieldConfig.Overrides) > 0 {
			t.Errorf("panel %q: unit %q, %d overrides: want one unit of its own", p.Title, p.FieldConfig.Defaults.Unit, len(p.FieldConfig.Overrides))
		}
		for _, tg := range p.Targets {
			if counter.MatchString(tg.Expr) && len(counter.FindAllString(tg.Expr, -1)) != len(rated.FindAllString(tg.Expr, -1)) {
				t.Errorf("panel %q graphs a counter without rate(...[$__rate_interval]): %s", p.Title, tg.Expr)
			}
			if strings.Contains(tg.Expr, "quantile=") {
				t.Errorf("panel %q reads a quantile label: %s", p.Title, tg.Expr)
			}
		}
	}
}
