package libraries_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/libraries"
)

// TestClassifyOwnAdapters classifies every statement pgqtune's own queue
// adapters send (sqlload/adapter/*/sql), as the sampler would see them: each
// adapter's claim is the claim, and its stats, lookup and pending queries
// never are.
func TestClassifyOwnAdapters(t *testing.T) {
	want := map[string]libraries.Role{
		"pgboss_fetch": libraries.RoleClaim, "pgboss_send": libraries.RoleEnqueue, "pgboss_complete": libraries.RoleComplete,
		"pgboss_fail": libraries.RoleFail, "pgboss_stats": libraries.RoleMaintenance, "pgboss_pending": libraries.RoleOther,
		"pgboss_lookup": libraries.RoleOther,

		"pgmq_read": libraries.RoleClaim, "pgmq_send": libraries.RoleEnqueue, "pgmq_delete": libraries.RoleComplete,
		"pgmq_archive": libraries.RoleComplete, "pgmq_set_vt": libraries.RoleFail, "pgmq_stats": libraries.RoleMaintenance,
		"pgmq_pending": libraries.RoleOther, "pgmq_lookup": libraries.RoleOther,
		"pgmq_ext_read": libraries.RoleClaim, "pgmq_ext_send": libraries.RoleEnqueue, "pgmq_ext_delete": libraries.RoleComplete,
		"pgmq_ext_archive": libraries.RoleComplete, "pgmq_ext_set_vt": libraries.RoleFail,

		"skiplocked_claim": libraries.RoleClaim, "skiplocked_enqueue": libraries.RoleEnqueue,
		"skiplocked_complete_update": libraries.RoleComplete, "skiplocked_complete_delete": libraries.RoleComplete,
		"skiplocked_complete_archive": libraries.RoleComplete, "skiplocked_fail": libraries.RoleFail,
		"skiplocked_expire": libraries.RoleMaintenance, "skiplocked_stats": libraries.RoleMaintenance,
		"skiplocked_pending": libraries.RoleOther, "skiplocked_lookup": libraries.RoleOther,

		"river_stats": libraries.RoleMaintenance, "river_pending": libraries.RoleOther, "river_lookup": libraries.RoleOther,
	}
	libs := map[string]string{"pgboss": libraries.PGBoss, "pgmq": libraries.PGMQ, "skiplocked": libraries.SkipLocked, "river": libraries.River}
	files, err := filepath.Glob("../sqlload/adapter/*/sql/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no adapter SQL files (%v)", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".sql")
		role, ok := want[name]
		if !ok {
			continue // DDL and helpers
		}
		prefix, _, _ := strings.Cut(name, "_")
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.NewReplacer(`{schema}`, `"pgqtune"`, `{q}`, `"pgqtune"."q_default"`, `{a}`, `"pgqtune"."a_default"`).Replace(string(b))
		t.Run(name, func(t *testing.T) {
			if got := libraries.Classify(libs[prefix], text); got != role {
				t.Errorf("Classify(%s, %s) = %q, want %q", libs[prefix], name, got, role)
			}
		})
		delete(want, name)
	}
	for name := range want {
		t.Errorf("%s.sql not found in sqlload/adapter/*/sql", name)
	}
}
