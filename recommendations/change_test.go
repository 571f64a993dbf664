package recommendations

import (
	"errors"
	"testing"

	"github.com/pgqtune/pgqtune/runrec"
)

func TestChanges(t *testing.T) {
	ch, err := Changes("ALTER SYSTEM SET autovacuum_naptime = '10s';\nSELECT pg_reload_conf();  -- reload\n" +
		"ALTER DATABASE \"app\" SET synchronous_commit = off;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS j_idx ON app.jobs (id) WHERE state = 'pending';\n" +
		"ALTER TABLE app.jobs SET (fillfactor = 80);\nSET work_mem = '64MB';")
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{
		{Scope: ScopeSystem, Setting: "autovacuum_naptime"},
		{Scope: ScopeCall},
		{Scope: ScopeDatabase, Setting: "synchronous_commit"},
		{Scope: ScopeObject, Index: "app.j_idx"},
		{Scope: ScopeObject},
		{Scope: ScopeSession, Setting: "work_mem"},
	}
	if len(ch) != len(want) {
		t.Fatalf("got %d changes, want %d: %+v", len(ch), len(want), ch)
	}
	for i, w := range want {
		if ch[i].Scope != w.Scope || ch[i].Setting != w.Setting || ch[i].Index != w.Index || ch[i].SQL == "" {
			t.Errorf("change %d = %+v (%s), want scope %s setting %q index %q", i, ch[i], ch[i].Scope, w.Scope, w.Setting, w.Index)
		}
	}
	// Text that merely mentions ALTER SYSTEM is not a system change.
	ch, err = Changes("COMMENT ON TABLE app.jobs IS 'ALTER SYSTEM was here';")
	if err != nil || len(ch) != 1 || ch[0].Scope != ScopeObject {
		t.Errorf("comment = %+v, %v", ch, err)
	}
}

func TestRollbackOf(t *testing.T) {
	ok := []runrec.Recommendation{
		{ID: "index", Kind: runrec.RecIndex, SQL: "CREATE INDEX CONCURRENTLY IF NOT EXISTS j_idx ON app.jobs (id) WHERE state = 'pending';",
			Rollback: "DROP INDEX CONCURRENTLY IF EXISTS app.j_idx;"},
		{ID: "system", Kind: runrec.RecConfig, SQL: "ALTER SYSTEM SET commit_delay = 100;\nALTER SYSTEM SET commit_siblings = 5;\nSELECT pg_reload_conf();",
			Rollback: "ALTER SYSTEM RESET commit_delay;\nALTER SYSTEM RESET commit_siblings;\nSELECT pg_reload_conf();"},
		{ID: "database", Kind: runrec.RecConfig, SQL: `ALTER DATABASE "app" SET synchronous_commit = off;`,
			Rollback: `ALTER DATABASE "app" RESET synchronous_commit;`},
		{ID: "table", Kind: runrec.RecAutovacuum, SQL: "ALTER TABLE app.jobs SET (autovacuum_vacuum_scale_factor = 0.01);",
			Rollback: "ALTER TABLE app.jobs RESET (autovacuum_vacuum_scale_factor);"},
	}
	for _, r := range ok {
		rb, err := RollbackOf(r)
		if err != nil || rb.SQL != r.Rollback || rb.ID != r.ID {
			t.Errorf("%s: RollbackOf = %+v, %v; want its rollback", r.ID, rb, err)
		}
	}
	refused := []runrec.Recommendation{
		{ID: "prose", Kind: runrec.RecIndex, SQL: "REINDEX INDEX CONCURRENTLY app.j_idx;",
			Rollback: "None needed: the rebuilt index is equivalent."},
		{ID: "empty", Kind: runrec.RecIndex, SQL: "CREATE INDEX j2 ON app.jobs (id);"},
		{ID: "session reset", Kind: runrec.RecConfig, SQL: `ALTER DATABASE "app" SET work_mem = '64MB';`, Rollback: "RESET work_mem;"},
		{ID: "other setting", Kind: runrec.RecConfig, SQL: "ALTER SYSTEM SET commit_delay = 100;", Rollback: "ALTER SYSTEM RESET commit_siblings;"},
		{ID: "terminate", Kind: runrec.RecConfig, SQL: "SELECT pg_terminate_backend(4242);", Rollback: "None: the session is gone; its client reconnects."},
		{ID: "terminate with sql", Kind: runrec.RecConfig, SQL: "SELECT pg_terminate_backend(4242);", Rollback: "SELECT 1;"},
	}
	for _, r := range refused {
		if _, err := RollbackOf(r); !errors.Is(err, ErrNoRollback) {
			t.Errorf("%s: RollbackOf error = %v, want ErrNoRollback", r.ID, err)
		}
	}
	if !Outlives(ok[1]) || !Outlives(ok[2]) || Outlives(ok[0]) || Outlives(ok[3]) {
		t.Errorf("Outlives: want true for system and database changes only")
	}
}
