package report_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/internal/synthrun"
	"github.com/pgqtune/pgqtune/report"
	"github.com/pgqtune/pgqtune/runrec"
)

var update = flag.Bool("update", false, "rewrite golden files and synthetic run directories in testdata")

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gotPath := filepath.Join(t.TempDir(), name)
		_ = os.WriteFile(gotPath, got, 0o644)
		t.Fatalf("%s differs from the golden file; got written to %s (diff it; -update accepts it)", name, gotPath)
	}
}

func TestWrite(t *testing.T) {
	rep, run := synthrun.Golden()
	dir := t.TempDir()
	synthrun.WriteRunDir(t, dir, run)
	if err := report.Write(dir, rep, run); err != nil {
		t.Fatal(err)
	}

	t.Run("report.json matches the golden file and the schema", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(dir, runrec.ReportJSON))
		if err != nil {
			t.Fatal(err)
		}
		if err := runrec.ValidateJSON(b); err != nil {
			t.Fatal(err)
		}
		golden(t, "report.json", b)
	})
	t.Run("report.md matches the golden file", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(dir, runrec.ReportMD))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"### F1 · `lock_contention`", "```sql\nSET lock_timeout = '2s';", "| max_wal_size | 1GB |", "## Timeline"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("report.md lacks %q", want)
			}
		}
		golden(t, "report.md", b)
	})
	t.Run("Load reads back what Write wrote", func(t *testing.T) {
		got, err := report.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got.Run.ID != rep.Run.ID || len(got.Findings) != 1 || got.Findings[0].Cause != "lock_contention" || len(got.Recommendations) != 2 {
			t.Fatalf("loaded %+v", got.Run)
		}
	})
	t.Run("nil lists are written as empty arrays", func(t *testing.T) {
		bare := &runrec.Report{Run: runrec.RunInfo{ID: "bare", Mode: "observe"}}
		d := t.TempDir()
		if err := report.Write(d, bare, nil); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(d, runrec.ReportJSON))
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"findings", "recommendations", "notes"} {
			if _, ok := m[k].([]any); !ok {
				t.Errorf("%s is %T, want an array", k, m[k])
			}
		}
		if m["schema_version"] != 1.0 {
			t.Errorf("schema_version = %v", m["schema_version"])
		}
	})
	t.Run("figures JSON cannot carry are zeroed with a note, the caller's report untouched", func(t *testing.T) {
		odd := *rep
		odd.Findings = append([]runrec.Finding(nil), rep.Findings...)
		odd.Findings[0].Evidence = []runrec.Evidence{{Signal: "ratio", Value: math.NaN()}}
		odd.Throughput.Mean = math.Inf(1)
		d := t.TempDir()
		if err := report.Write(d, &odd, nil); err != nil {
			t.Fatal(err)
		}
		got, err := report.Load(d)
		if err != nil {
			t.Fatal(err)
		}
		note := got.Notes[len(got.Notes)-1]
		if got.Throughput.Mean != 0 || got.Findings[0].Evidence[0].Value != 0 ||
			!strings.Contains(note, "findings.evidence.value") || !strings.Contains(note, "throughput.mean") {
			t.Fatalf("mean %v evidence %v notes %q", got.Throughput.Mean, got.Findings[0].Evidence, got.Notes)
		}
		if !math.IsNaN(odd.Findings[0].Evidence[0].Value) || len(odd.Notes) != len(rep.Notes) {
			t.Fatal("Write changed the caller's report")
		}
	})
	t.Run("an invalid report is refused and nothing is written", func(t *testing.T) {
		bad := *rep
		bad.Run.Mode = "sideways"
		d := t.TempDir()
		err := report.Write(d, &bad, nil)
		if !errors.Is(err, runrec.ErrInvalid) {
			t.Fatalf("err = %v, want ErrInvalid", err)
		}
		if entries, _ := os.ReadDir(d); len(entries) != 0 {
			t.Fatalf("files written: %v", entries)
		}
	})
}

func TestSummary(t *testing.T) {
	rep, _ := synthrun.Golden()
	var b bytes.Buffer
	report.Summary(&b, rep, "/runs/x")
	out := b.String()
	for _, want := range []string{"throughput  800 jobs/s baseline", "p99 54 ms", "integrity   ok", "F1  lock_contention", "recommendations 2 (R1 application, R2 autovacuum)", "/runs/x/report.html"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	t.Run("an observed run names its mode once", func(t *testing.T) {
		rep := &runrec.Report{Run: runrec.RunInfo{ID: "o1", Mode: "observe", Scenario: "observe"}}
		var b bytes.Buffer
		report.Summary(&b, rep, "")
		if first, _, _ := strings.Cut(b.String(), "\n"); first != "pgqtune observe · o1" {
			t.Fatalf("title = %q", first)
		}
	})
}

func TestWriteEdgeCases(t *testing.T) {
	t.Run("report only: charts come from the report's own series", func(t *testing.T) {
		rep, _ := synthrun.Golden()
		d := t.TempDir()
		if err := report.Write(d, rep, nil); err != nil {
			t.Fatal(err)
		}
		html, _ := os.ReadFile(filepath.Join(d, runrec.ReportHTML))
		for _, want := range []string{`id="chart-throughput"`, `data-series="completed"`, `id="chart-latency"`, `id="chart-depth"`} {
			if !strings.Contains(string(html), want) {
				t.Errorf("report.html lacks %s", want)
			}
		}
		// Database charts need the samples.
		if strings.Contains(string(html), `id="chart-locks"`) {
			t.Error("lock chart drawn without samples")
		}
	})
	t.Run("nothing recorded: no charts, still a report", func(t *testing.T) {
		rep := &runrec.Report{Run: runrec.RunInfo{ID: "empty", Mode: "observe", Scenario: "observe"},
			Notes: []string{"the server could not be reached"}}
		d := t.TempDir()
		if err := report.Write(d, rep, &runrec.Run{}); err != nil {
			t.Fatal(err)
		}
		html, _ := os.ReadFile(filepath.Join(d, runrec.ReportHTML))
		md, _ := os.ReadFile(filepath.Join(d, runrec.ReportMD))
		if !strings.Contains(string(html), "No time series were recorded.") || strings.Contains(string(html), "<svg") {
			t.Error("report.html of an empty run")
		}
		if !strings.Contains(string(md), "the server could not be reached") || strings.Contains(string(md), "## Timeline") ||
			!strings.Contains(string(md), "not measured (observe mode") {
			t.Errorf("report.md of an empty run:\n%s", md)
		}
	})
	t.Run("report text is escaped in HTML", func(t *testing.T) {
		rep, run := synthrun.Golden()
		rep.Findings[0].Summary = `<script>alert("x")</script>`
		rep.Recommendations[0].SQL = `SELECT '</code><img src=x>'`
		d := t.TempDir()
		if err := report.Write(d, rep, run); err != nil {
			t.Fatal(err)
		}
		html, _ := os.ReadFile(filepath.Join(d, runrec.ReportHTML))
		if strings.Contains(string(html), `<script>alert`) || strings.Contains(string(html), `<img src=x>`) {
			t.Fatal("report text reached the page unescaped")
		}
	})
}
