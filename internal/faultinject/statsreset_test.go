package faultinject_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/internal/pipeline"
	"github.com/pgqtune/pgqtune/runrec"
)

// resets are what a DBA (or a monitoring tool) runs to zero the statistics.
var resets = []string{
	"SELECT pg_catalog.pg_stat_reset()",
	"SELECT pg_stat_statements_reset()",
	"SELECT pg_catalog.pg_stat_reset_shared('bgwriter')",
	"SELECT pg_catalog.pg_stat_reset_shared('wal')",
}

// TestStatsReset resets every statistic pgqtune reads, twice, mid-run: no
// counter going back becomes a negative number anywhere in what the run
// wrote, and the report notes the resets.
func TestStatsReset(t *testing.T) {
	dsn := pgtest.NewDB(t)
	var done int
	o := runWith(t, dsn, 0, func(ctx context.Context, _ pipeline.Target) {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close(context.Background())
		for _, at := range []time.Duration{8 * time.Second, 6 * time.Second} {
			if !after(ctx, at) {
				return
			}
			for _, q := range resets {
				if _, err := conn.Exec(ctx, q); err != nil {
					t.Errorf("%s: %v", q, err)
					return
				}
			}
			done++
		}
	})
	if done != 2 {
		t.Fatalf("only %d of 2 resets ran", done)
	}
	logFindings(t, o.Report)
	for _, f := range []struct {
		name  string
		jsonl bool
	}{{runrec.SamplesFile, true}, {runrec.WorkloadFile, true}, {runrec.ReportJSON, false}} {
		if neg := negatives(t, filepath.Join(o.Dir, f.name), f.jsonl); len(neg) > 0 {
			t.Errorf("%s has %d negative numbers, e.g. %v", f.name, len(neg), neg[:min(5, len(neg))])
		}
	}
	noted := false
	for _, n := range o.Report.Notes {
		if strings.Contains(n, "reset") {
			noted = true
		}
	}
	if !noted {
		t.Error("no note says the statistics were reset")
	}
	checkBooks(t, o.Report)
}
