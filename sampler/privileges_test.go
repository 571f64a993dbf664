package sampler_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgqtune/pgqtune/migrations"
	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sampler"
)

// TestWithoutPgMonitor samples as a plain role: what it cannot see becomes
// notes and statuses naming the GRANT, and every other collector goes on.
func TestWithoutPgMonitor(t *testing.T) {
	const role = "pgqtune_plain"
	var dsn string
	b := setup(t, sampler.Config{}, func(p *pgxpool.Pool) {
		if err := migrations.Up(context.Background(), p.Config().ConnString(), "skiplocked", "pgqtune"); err != nil {
			t.Fatal(err)
		}
		exec(t, p, `DROP ROLE IF EXISTS `+role)
		exec(t, p, `CREATE ROLE `+role+` LOGIN`)
		t.Cleanup(func() {
			_, _ = p.Exec(context.Background(), `DROP OWNED BY `+role)
			_, _ = p.Exec(context.Background(), `DROP ROLE IF EXISTS `+role)
		})
		// Someone revoked pg_stat_statements from PUBLIC: a real 42501.
		exec(t, p, `REVOKE EXECUTE ON FUNCTION pg_stat_statements(boolean) FROM PUBLIC`)
		dsn = strings.Replace(p.Config().ConnString(), "postgres@", role+"@", 1)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := sampler.New(ctx, sampler.Config{DSN: dsn, Interval: testInterval, ReadOnly: true})
	if err != nil {
		t.Fatalf("New as a plain role: %v", err)
	}
	t.Cleanup(s.Close)
	// A superuser's slow vacuum: its progress row is hidden from this role.
	exec(t, b.pool, `CREATE TABLE big AS SELECT g AS id, repeat('x', 200) AS pad FROM generate_series(1, 50000) g`)
	exec(t, b.pool, `DELETE FROM big`)
	v := conn(t, b.dsn, "slow-vacuum")
	exec(t, v, `SET vacuum_cost_delay = 100`)
	exec(t, v, `SET vacuum_cost_limit = 1`)
	vacuumed := make(chan error, 1)
	go func() { _, err := v.Exec(context.Background(), `VACUUM big`); vacuumed <- err }()
	r := record(t, s)
	r.ticks(t, 3)
	exec(t, b.pool, `SELECT pg_cancel_backend($1)`, pid(t, v))
	<-vacuumed
	ss := r.stop(t)
	for _, smp := range ss {
		if st, ok := smp.Status["vacuum"]; ok {
			t.Errorf("vacuum collector failed on a hidden vacuum: %s", st)
		}
	}
	last := ss[len(ss)-1]
	if last.Database == nil || last.WAL == nil || last.Activity == nil || last.Locks == nil {
		t.Errorf("other collectors stopped: %+v", last)
	}
	if st := last.Status["statements"]; st.Kind != runrec.StatusNoPrivilege || !strings.Contains(st.Detail, "GRANT pg_monitor TO "+role) {
		t.Errorf("statements status = %+v, want no_privilege naming the GRANT", st)
	}
	notes := s.Notes()
	if last.Activity.Total < 1 || last.Activity.ByState["unknown"] < 1 {
		t.Errorf("activity = %+v, want the other role's sessions counted in state unknown", last.Activity)
	}
	want := []string{"GRANT pg_monitor TO " + role, "activity: other roles' queries and waits are hidden", "statements: no privilege", "pgqtune.job: depth and oldest pending age not sampled (no privilege"}
	for _, w := range want {
		if !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, w) }) {
			t.Errorf("no note says %q: %q", w, notes)
		}
	}
	if len(last.Queues) != 1 || last.Queues[0].Depth != -1 {
		t.Errorf("queues = %+v, want depth unknown", last.Queues)
	}
	for _, smp := range ss {
		if smp.Status["server"].Kind == runrec.StatusUnavailable {
			t.Errorf("a privilege error was taken for a lost connection: %v", smp.Status)
		}
	}
}
