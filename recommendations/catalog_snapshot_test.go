package recommendations

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestSnapshotCatalog(t *testing.T) {
	t.Parallel()
	q := newQueueDB(t, 2000, 50, false)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := q.pool.Exec(ctx, `ALTER TABLE pgqtune.job SET (fillfactor = 90, autovacuum_vacuum_scale_factor = 0.01)`); err != nil {
		t.Fatal(err)
	}
	cat, err := SnapshotCatalog(ctx, q.dsn, []string{"pgqtune.job", "pgqtune.nope"})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("table, columns and reloptions", func(t *testing.T) {
		tb := cat.Table("pgqtune.job")
		if tb == nil || cat.Table("job") != tb {
			t.Fatalf("job not found by full or bare name: %+v", cat.Tables)
		}
		if tb.Reloption("fillfactor") != "90" || tb.Reloption("autovacuum_vacuum_scale_factor") != "0.01" {
			t.Fatalf("reloptions = %v", tb.Reloptions)
		}
		st := tb.Column("state")
		if st == nil || st.Type != "text" || len(st.MostCommon) == 0 || st.MostCommon[0] != "completed" {
			t.Fatalf("state column = %+v", st)
		}
		if len(tb.Checks) != 1 || !strings.Contains(tb.Checks[0], "'pending'") {
			t.Fatalf("checks = %v", tb.Checks)
		}
		if tb.RowWidth < 60 || tb.RowWidth > 400 || tb.LiveTup < 2000 || tb.HeapBytes == 0 {
			t.Fatalf("row width %d, live %d, heap %d", tb.RowWidth, tb.LiveTup, tb.HeapBytes)
		}
	})
	t.Run("indexes with keys, predicate and flags", func(t *testing.T) {
		tb := cat.Table("pgqtune.job")
		var claim, pk *Index
		for i := range tb.Indexes {
			switch tb.Indexes[i].Name {
			case "pgqtune.job_claim_idx":
				claim = &tb.Indexes[i]
			case "pgqtune.job_pkey":
				pk = &tb.Indexes[i]
			}
		}
		if claim == nil || pk == nil {
			t.Fatalf("indexes = %+v", tb.Indexes)
		}
		if strings.Join(claim.Columns, ",") != "queue,priority,run_at" || claim.Predicate != "state = 'pending'::text" || !claim.Valid || claim.Unique {
			t.Fatalf("claim index = %+v", claim)
		}
		if !pk.Primary || !pk.Unique || pk.Constraint != "job_pkey" {
			t.Fatalf("pk = %+v", pk)
		}
	})
	t.Run("settings, extensions and notes", func(t *testing.T) {
		if b, ok := cat.SettingBytes("max_wal_size"); !ok || b < 1<<20 {
			t.Fatalf("max_wal_size = %d %v", b, ok)
		}
		if s, ok := cat.SettingSeconds("checkpoint_timeout"); !ok || s != 300 {
			t.Fatalf("checkpoint_timeout = %v %v", s, ok)
		}
		if cat.ServerVersionNum < 150000 || !cat.HasExtension("pg_stat_statements") {
			t.Fatalf("version %d, extensions %v", cat.ServerVersionNum, cat.Extensions)
		}
		if len(cat.Notes) != 1 || !strings.Contains(cat.Notes[0], "pgqtune.nope") {
			t.Fatalf("notes = %v", cat.Notes)
		}
	})
	t.Run("round trip through catalog.json", func(t *testing.T) {
		dir := t.TempDir()
		if err := SaveCatalog(dir, cat); err != nil {
			t.Fatal(err)
		}
		back, err := LoadCatalog(dir)
		if err != nil || back == nil || len(back.Tables) != 1 || back.Table("job").Column("state") == nil {
			t.Fatalf("load = %+v, %v", back, err)
		}
		none, err := LoadCatalog(t.TempDir())
		if none != nil || err != nil {
			t.Fatalf("missing catalog = %v, %v", none, err)
		}
	})
}
