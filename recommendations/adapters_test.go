package recommendations

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/runrec"
)

func readCatalog(t *testing.T, path string) *Catalog {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c Catalog
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

// claimRun is a run whose only hot statement is the claim text, scanning
// the table: a missing_index situation on table.
func claimRun(t *testing.T, textFile, table string) *runrec.Run {
	t.Helper()
	b, err := os.ReadFile(textFile)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.TrimSpace(string(b))
	return newRun(table).ticks(30, func(i int, s *runrec.Sample) {
		s.Statements = []runrec.StatementDelta{stmt(i, 1, text, 20, 100, 20, 4000)}
		s.Tables = []runrec.TableStats{{Relation: table, Queue: true, SeqScan: 20, SeqTupRead: 20 * 5000, Upd: 40, Ins: 20}}
	}).run
}

// The index rule on the claims of other queue designs, as recorded by
// real runs of pgqtune's river and pgmq adapters.
func TestClaimIndexOtherQueues(t *testing.T) {
	t.Parallel()
	t.Run("river: its fetching index covers the claim", func(t *testing.T) {
		cat := readCatalog(t, "testdata/catalog_river.json")
		run := claimRun(t, "testdata/river_claim.sql", "pgqtune.river_job")
		recs, notes := Recommend(&Input{Run: run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "missing_index", "pgqtune.river_job")}})
		if ix := only(recs, runrec.RecIndex); len(ix) != 0 {
			t.Fatalf("covered River claim got %+v", ix)
		}
		if len(notes) == 0 || !strings.Contains(strings.Join(notes, "\n"), "served by river's own index pgqtune.river_job_prioritized_fetching_index") {
			t.Fatalf("notes = %v", notes)
		}
	})
	t.Run("river without it: River's own fetching index is recreated, first, and nothing else", func(t *testing.T) {
		cat := readCatalog(t, "testdata/catalog_river.json")
		dropIndex(cat, "pgqtune.river_job", "pgqtune.river_job_prioritized_fetching_index")
		run := claimRun(t, "testdata/river_claim.sql", "pgqtune.river_job")
		recs, _ := Recommend(&Input{Run: run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "missing_index", "pgqtune.river_job")}})
		ix := only(recs, runrec.RecIndex)
		want := "CREATE INDEX CONCURRENTLY IF NOT EXISTS river_job_prioritized_fetching_index ON pgqtune.river_job (state, queue, priority, scheduled_at, id);"
		if len(ix) != 1 || ix[0].SQL != want || ix[0].Informational || recs[0].SQL != want {
			t.Fatalf("got %+v, want only and first %q", recs, want)
		}
	})
	t.Run("pgmq: the primary key serves ORDER BY msg_id", func(t *testing.T) {
		cat := readCatalog(t, "testdata/catalog_pgmq.json")
		run := claimRun(t, "testdata/pgmq_read.sql", "pgqtune.q_default")
		recs, _ := Recommend(&Input{Run: run, Catalog: cat})
		if ix := only(recs, runrec.RecIndex); len(ix) != 0 {
			t.Fatalf("pgmq read got %+v", ix)
		}
	})
}

func TestDropIndexOnLibraryTable(t *testing.T) {
	t.Parallel()
	cat := readCatalog(t, "testdata/catalog_river.json")
	run := newRun("pgqtune.river_job").ticks(60, func(i int, s *runrec.Sample) {
		s.Tables = []runrec.TableStats{{Relation: "pgqtune.river_job", Queue: true, Ins: 100, Upd: 200}}
		s.Indexes = []runrec.IndexStats{{Relation: "pgqtune.river_job", Index: "pgqtune.river_job_metadata_index"}}
	}).run
	recs, notes := Recommend(&Input{Run: run, Catalog: cat})
	if ix := only(recs, runrec.RecIndex); len(ix) != 0 {
		t.Fatalf("River's own index must never be dropped; got %+v", ix)
	}
	if !strings.Contains(strings.Join(notes, "\n"), "pgqtune.river_job_metadata_index (river's own index on pgqtune.river_job) had no scans") {
		t.Fatalf("notes = %v", notes)
	}
}
