package sampler_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sampler"
)

// TestServerRestart restarts the cluster (immediate: statistics are lost)
// under a running sampler: the gap is recorded, the sampler reconnects by
// itself, and no delta spans the restart.
func TestServerRestart(t *testing.T) {
	b := setup(t, sampler.Config{}, nil)
	r := record(t, b.s)
	r.ticks(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := pgtest.Server().Restart(ctx, "immediate"); err != nil {
		t.Fatalf("restart: %v", err)
	}
	// A restarted server is told from a lost session by its postmaster
	// start time.
	back := r.waitFor(t, "a reconnect", func(s runrec.Sample) bool {
		k := s.Status["server"].Kind
		return k == runrec.StatusReconnected || k == runrec.StatusRestarted
	})
	if st := back.Status["server"]; st.Kind != runrec.StatusRestarted || st.RestartedAt.IsZero() || !strings.HasPrefix(st.Detail, "restarted at ") {
		t.Errorf("server status after the restart = %+v, want it to say the server restarted and when", st)
	}
	r.waitFor(t, "deltas after the restart", func(s runrec.Sample) bool { return s.Database != nil && s.Status["server"].Kind == "" })
	ss := r.stop(t)
	if !slices.ContainsFunc(ss, func(s runrec.Sample) bool { return s.Status["server"].Kind == runrec.StatusUnavailable }) {
		t.Errorf("no sample records the outage")
	}
	for i, s := range ss {
		assertNonNegative(t, s)
		if s.Status["server"].Kind == runrec.StatusRestarted && (s.Database != nil || s.WAL != nil || s.Statements != nil) {
			t.Errorf("the first sample after the restart has deltas spanning it: %+v", s)
		}
		if i > 0 && s.T.Before(ss[i-1].T) {
			t.Errorf("samples out of order at %d", i)
		}
	}
}
