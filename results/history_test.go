package results_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/internal/synthrun"
	"github.com/pgqtune/pgqtune/report"
	"github.com/pgqtune/pgqtune/results"
	"github.com/pgqtune/pgqtune/runrec"
)

// historyRoot makes a results root with three complete runs on different
// days, one interrupted before its report, and a directory that is no run.
func historyRoot(t *testing.T) (string, []*runrec.Report) {
	t.Helper()
	root := t.TempDir()
	var reps []*runrec.Report
	for i, name := range []string{"base", "fault", "regressed"} {
		rep, run := synthrun.Runs[name].Build()
		shift := time.Duration(i) * 24 * time.Hour
		rep.Run.StartedAt, rep.Run.EndedAt = rep.Run.StartedAt.Add(shift), rep.Run.EndedAt.Add(shift)
		run.Meta.StartedAt = rep.Run.StartedAt
		dir := filepath.Join(root, rep.Run.ID)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		synthrun.WriteRunDir(t, dir, run)
		if err := results.Write(dir, rep, run); err != nil {
			t.Fatal(err)
		}
		reps = append(reps, rep)
	}
	_, run := synthrun.Runs["same"].Build()
	run.Meta.StartedAt = run.Meta.StartedAt.Add(-time.Hour)
	dir := filepath.Join(root, "interrupted")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	synthrun.WriteRunDir(t, dir, run)
	if err := os.MkdirAll(filepath.Join(root, "notes"), 0o755); err != nil {
		t.Fatal(err)
	}
	return root, reps
}

func TestHistory(t *testing.T) {
	t.Run("lists runs newest first, with interrupted ones marked", func(t *testing.T) {
		root, _ := historyRoot(t)
		h, err := results.History(root)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, e := range h {
			ids = append(ids, e.ID)
		}
		want := "synthetic-regressed synthetic-fault synthetic-base synthetic-same"
		if strings.Join(ids, " ") != want {
			t.Fatalf("order %v, want %s", ids, want)
		}
		if h[1].Findings != 1 || h[1].Causes[0] != "lock_contention" || h[3].Status != "no report" {
			t.Fatalf("entries %+v", h)
		}
		var b bytes.Buffer
		if err := results.WriteHistory(&b, h); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, want := range []string{"DATE (UTC)", "synthetic-fault", "1 (lock_contention)", "15.8 127.0.0.1:5432/pgqtune", "no report", "2026-03-16 09:26"} {
			if !strings.Contains(out, want) {
				t.Errorf("history lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("each report compares itself with the previous run of its scenario", func(t *testing.T) {
		root, _ := historyRoot(t)
		first, _ := os.ReadFile(filepath.Join(root, "synthetic-base", "report.md"))
		if strings.Contains(string(first), "Compared with the previous run") {
			t.Error("the first run has no previous run")
		}
		md, _ := os.ReadFile(filepath.Join(root, "synthetic-fault", "report.md"))
		html, _ := os.ReadFile(filepath.Join(root, "synthetic-fault", "report.html"))
		for _, want := range []string{"## Compared with the previous run", "`synthetic-base`", "REGRESSION", "| findings | 0 | 1 | |"} {
			if !strings.Contains(string(md), want) {
				t.Errorf("fault's report.md lacks %q", want)
			}
		}
		if !strings.Contains(string(html), `id="previous"`) || !strings.Contains(string(html), "REGRESSION") {
			t.Error("fault's report.html lacks the comparison")
		}
	})
	t.Run("rendering alone compares with no other run", func(t *testing.T) {
		root, _ := historyRoot(t)
		dir := filepath.Join(root, "synthetic-fault")
		rep, err := report.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		var md bytes.Buffer
		if err := report.Markdown(&md, rep, nil); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(md.String(), "Compared with the previous run") {
			t.Error("report.Markdown without Options.Previous shows a previous run")
		}
		if results.Previous(dir, rep, nil) == nil {
			t.Error("results.Previous found no previous run beside synthetic-fault")
		}
	})
	t.Run("a missing root is empty", func(t *testing.T) {
		h, err := results.History(filepath.Join(t.TempDir(), "nope"))
		if err != nil || len(h) != 0 {
			t.Fatalf("%v %v", h, err)
		}
	})
}

func TestStore(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDB(t)
	_, reps := historyRoot(t)
	for _, rep := range reps {
		if err := results.Store(ctx, dsn, rep); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("history reads the store newest first", func(t *testing.T) {
		h, err := results.StoredHistory(ctx, dsn, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 3 || h[0].ID != "synthetic-regressed" || h[1].ID != "synthetic-fault" || h[1].Findings != 1 ||
			len(h[1].Causes) != 1 || h[1].Causes[0] != "lock_contention" || h[2].Mean < 700 {
			t.Fatalf("stored history %+v", h)
		}
		if !h[0].StartedAt.Equal(reps[2].Run.StartedAt) {
			t.Fatalf("started_at %v, want %v", h[0].StartedAt, reps[2].Run.StartedAt)
		}
	})
	t.Run("storing a run again replaces it", func(t *testing.T) {
		again := *reps[1]
		again.Findings = nil
		if err := results.Store(ctx, dsn, &again); err != nil {
			t.Fatal(err)
		}
		h, err := results.StoredHistory(ctx, dsn, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 3 || h[1].Findings != 0 || len(h[1].Causes) != 0 {
			t.Fatalf("stored history %+v", h)
		}
		pool := pgtest.Pool(t, dsn)
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM pgqtune_results.finding").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("%d findings left", n)
		}
	})
	t.Run("the whole report is kept and valid", func(t *testing.T) {
		var doc []byte
		if err := pgtest.Pool(t, dsn).QueryRow(ctx, "SELECT report FROM pgqtune_results.run WHERE id = $1", "synthetic-base").Scan(&doc); err != nil {
			t.Fatal(err)
		}
		if err := runrec.ValidateJSON(doc); err != nil {
			t.Fatal(err)
		}
		var got runrec.Report
		if err := json.Unmarshal(doc, &got); err != nil {
			t.Fatal(err)
		}
		if got.Run.ID != "synthetic-base" || len(got.Throughput.Series) != 60 {
			t.Fatalf("stored report %+v", got.Run)
		}
	})
	t.Run("limit", func(t *testing.T) {
		h, err := results.StoredHistory(ctx, dsn, 1)
		if err != nil || len(h) != 1 {
			t.Fatalf("%v %v", h, err)
		}
	})
	t.Run("a bad DSN is an error, not a panic", func(t *testing.T) {
		if err := results.Store(ctx, "postgres://127.0.0.1:1/x?connect_timeout=2", reps[0]); err == nil {
			t.Fatal("stored into nothing")
		}
	})
}
