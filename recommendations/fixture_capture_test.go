package recommendations

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestCaptureCatalogFixture rewrites testdata/catalog_job.json from a live
// skiplocked queue when PGQTUNE_CAPTURE=1; the rule tests read that file.
func TestCaptureCatalogFixture(t *testing.T) {
	if os.Getenv("PGQTUNE_CAPTURE") != "1" {
		t.Skip("set PGQTUNE_CAPTURE=1 to rewrite testdata/catalog_job.json")
	}
	q := newQueueDB(t, 20000, 200, false)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cat, err := SnapshotCatalog(ctx, q.dsn, []string{"pgqtune.job", "pgqtune.job_archive"})
	if err != nil {
		t.Fatal(err)
	}
	cat.SnapshotAt = time.Date(2026, 1, 2, 3, 5, 0, 0, time.UTC)
	cat.Database = "pgqtune"
	if err := SaveCatalog("testdata", cat); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename("testdata/catalog.json", "testdata/catalog_job.json"); err != nil {
		t.Fatal(err)
	}
}
