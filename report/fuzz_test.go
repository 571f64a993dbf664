package report_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/report"
	"github.com/pgqtune/pgqtune/runrec"
)

// FuzzLoad feeds arbitrary bytes to the report.json reader: it never
// panics, it rejects what breaks the contract with an error, and whatever
// it accepts survives a round trip through the writer (MarshalJSON
// validates again) and renders as Markdown and HTML (a render error fails).
//
// Fuzz it with -fuzzminimizetime 2s: minimizing each new input at the
// default (a minute) takes up most of a short run:
//
//	go test ./report -run '^$' -fuzz '^FuzzLoad$' -fuzztime 60s -fuzzminimizetime 2s
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*", "*", "report.json"))
	more, _ := filepath.Glob(filepath.Join("testdata", "*", "report.json"))
	for _, p := range append(seeds, more...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"schema_version": 1}`))
	f.Add([]byte(`{"schema_version": 1e400}`))
	f.Add([]byte(`[]`))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, b []byte) {
		verr := runrec.ValidateJSON(b)
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, runrec.ReportJSON), b, 0o644); err != nil {
			t.Fatal(err)
		}
		rep, err := report.Load(dir)
		if verr != nil {
			if err == nil {
				t.Fatalf("Load accepted what ValidateJSON rejects: %v", verr)
			}
			return
		}
		if err != nil {
			// Valid by the schema but not decodable (e.g. a number out of
			// int64 range): an error is the right answer.
			var le *report.LoadError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), "report.json") {
				t.Fatalf("error does not say what failed: %v", err)
			}
			return
		}
		out, err := report.MarshalJSON(rep)
		if err != nil {
			t.Fatalf("an accepted report does not write back: %v", err)
		}
		var again runrec.Report
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatalf("written report does not read back: %v", err)
		}
		// A report the contract accepts must render: a reader who gets
		// an error instead of their report has lost it.
		var md, page bytes.Buffer
		if err := report.Markdown(&md, rep, nil); err != nil {
			t.Fatalf("a schema-valid report does not render as Markdown: %v", err)
		}
		if err := report.HTML(&page, rep, nil); err != nil {
			t.Fatalf("a schema-valid report does not render as HTML: %v", err)
		}
	})
}
