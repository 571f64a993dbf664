package analyze_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/analyze"
	"github.com/pgqtune/pgqtune/runrec"
)

// TestRestartWithoutDrop: the server restarts in two seconds while the
// queue has the headroom to catch up within the same seconds, so no drop is
// seen; the restart is still a finding, with the time it came back up.
func TestRestartWithoutDrop(t *testing.T) {
	s := newSynth(60, 5)
	back := synthT0.Add(32 * time.Second)
	for i := 30; i < 32; i++ {
		*s.smp(i) = runrec.Sample{T: s.smp(i).T, IntervalS: 1, Status: map[string]runrec.CollectorStatus{
			"server": unavailable("failed to connect to `host=127.0.0.1`: dial error: connect: connection refused")}}
	}
	sm := s.smp(32)
	sm.Status = map[string]runrec.CollectorStatus{"server": restarted(back, 2),
		"database": statusReset, "statements": statusReset, "wal": statusReset, "checkpointer": statusReset}
	sm.Database, sm.Statements, sm.WAL, sm.Checkpointer = nil, nil, nil, nil
	res, err := analyze.Analyze(s.run, analyze.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(res.Findings, func(f runrec.Finding) bool { return f.Kind == runrec.FindingOutage })
	if i < 0 {
		t.Fatalf("no outage finding for a restart: %+v", res.Findings)
	}
	f := res.Findings[i]
	if f.Cause != analyze.CauseUnavailable || f.Confidence < 0.8 {
		t.Errorf("cause %s, confidence %.2f; want server_unavailable, confident", f.Cause, f.Confidence)
	}
	if f.Start.After(synthT0.Add(31*time.Second)) || f.End.Before(synthT0.Add(31*time.Second)) {
		t.Errorf("window %s-%s does not hold the outage at +30s..+32s", f.Start.Format(time.TimeOnly), f.End.Format(time.TimeOnly))
	}
	if !strings.Contains(f.Summary, "restarted") || !strings.Contains(f.Summary, back.Format(time.TimeOnly)) {
		t.Errorf("summary %q does not say the server restarted and when it came back", f.Summary)
	}
	for _, f := range res.Findings {
		if f.Kind == runrec.FindingDrop {
			t.Errorf("a drop reported for a restart the queue absorbed: %s", f.Summary)
		}
	}
}

// TestRestartNamedInDrop: the sampler's first sample after a restart comes
// after the drop it caused (it backs off while the server is away); the
// drop's finding still says the server restarted and when it was back.
func TestRestartNamedInDrop(t *testing.T) {
	s := newSynth(60, 5)
	s.restart(20, 28)
	back := synthT0.Add(28 * time.Second)
	for i := range s.run.Samples {
		if st := s.run.Samples[i].Status["server"]; st.Kind == runrec.StatusReconnected {
			s.run.Samples[i].Status["server"] = restarted(back, 8)
		}
	}
	res, err := analyze.Analyze(s.run, analyze.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(res.Findings, func(f runrec.Finding) bool { return f.Kind == runrec.FindingDrop })
	if i < 0 {
		t.Fatalf("no drop for an 8 s outage: %+v", res.Findings)
	}
	f := res.Findings[i]
	named := slices.ContainsFunc(f.Evidence, func(e runrec.Evidence) bool { return e.Signal == "pg_postmaster_start_time" })
	if f.Cause != analyze.CauseUnavailable || !named || !strings.Contains(f.Summary, "restarted") {
		t.Fatalf("drop: cause %s, summary %q, evidence %+v; want server_unavailable naming the restart", f.Cause, f.Summary, f.Evidence)
	}
	if n := len(res.Findings); slices.ContainsFunc(res.Findings, func(f runrec.Finding) bool { return f.Kind == runrec.FindingOutage }) {
		t.Errorf("the restart is reported twice (%d findings): the drop already names it", n)
	}
}

// TestChoppyOutage: sessions killed for five seconds make a choppy run (a
// low second, two normal ones, two low ones, a catch-up; latency spikes in
// between) that no single detector holds for MinWindowS, while the sampler
// could not read the server for five samples. That stretch is still a
// finding: the server was unavailable. (Seen once in the killed-backends
// fault test under load.)
func TestChoppyOutage(t *testing.T) {
	s := newSynth(60, 5)
	// The fault test's workload: p99 about 78 ms, so the spikes below are
	// each short of a window.
	for i := range s.run.Workload {
		s.tick(i).LatencyMs.P99 = 76 + float64(i%5)
	}
	completed := []int64{140, 230, 205, 110, 75, 420}
	p99 := []float64{240, 900, 300, 260, 1360, 2550}
	for k := range completed {
		tk := s.tick(30 + k)
		tk.Completed, tk.Dequeued, tk.Errors = completed[k], completed[k], 70
		tk.LatencyMs.P99, tk.LatencyMs.Max = p99[k], p99[k]+10
	}
	for i := 31; i < 36; i++ {
		*s.smp(i) = runrec.Sample{T: s.smp(i).T, IntervalS: 1, Status: map[string]runrec.CollectorStatus{
			"server": unavailable("collect: connection lost: read pg_stat_database: FATAL: terminating connection due to administrator command (SQLSTATE 57P01)")}}
	}
	sm := s.smp(36)
	sm.Status = map[string]runrec.CollectorStatus{"server": reconnected(5), "database": statusReset, "statements": statusReset}
	sm.Database, sm.Statements = nil, nil
	res, err := analyze.Analyze(s.run, analyze.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(res.Findings, func(f runrec.Finding) bool { return f.Cause == analyze.CauseUnavailable })
	if i < 0 {
		t.Fatalf("no server_unavailable finding for 5 s without the server: %+v", res.Findings)
	}
	f := res.Findings[i]
	if f.Start.After(synthT0.Add(32*time.Second)) || f.End.Before(synthT0.Add(34*time.Second)) {
		t.Errorf("window %s-%s does not hold the outage at +31s..+36s", f.Start.Format(time.TimeOnly), f.End.Format(time.TimeOnly))
	}
	t.Logf("%s %s: %s", f.ID, f.Kind, f.Summary)
}
