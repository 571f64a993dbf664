package runrec_test

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/internal/synthrun"
	"github.com/pgqtune/pgqtune/runrec"
)

// TestValidateJSON checks that the embedded schema accepts a normalized
// report and refuses what breaks the contract, while allowing the fields a
// later pgqtune may add (the contract only grows).
func TestValidateJSON(t *testing.T) {
	rep, _ := synthrun.Golden()
	good, err := json.MarshalIndent(runrec.Normalize(rep), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := runrec.ValidateJSON(good); err != nil {
		t.Fatalf("valid report refused: %v", err)
	}
	mutate := func(t *testing.T, f func(m map[string]any)) []byte {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for name, f := range map[string]func(m map[string]any){
		"missing findings":          func(m map[string]any) { delete(m, "findings") },
		"missing run.started_at":    func(m map[string]any) { delete(m["run"].(map[string]any), "started_at") },
		"missing throughput series": func(m map[string]any) { delete(m["throughput"].(map[string]any), "series") },
		"schema_version 2":          func(m map[string]any) { m["schema_version"] = 2 },
		"time not RFC 3339":         func(m map[string]any) { m["run"].(map[string]any)["ended_at"] = "yesterday" },
		"confidence above 1": func(m map[string]any) {
			m["findings"].([]any)[0].(map[string]any)["confidence"] = 1.5
		},
		"finding without evidence": func(m map[string]any) {
			delete(m["findings"].([]any)[0].(map[string]any), "evidence")
		},
		"recommendation without sql": func(m map[string]any) {
			delete(m["recommendations"].([]any)[0].(map[string]any), "sql")
		},
	} {
		t.Run("refuses "+name, func(t *testing.T) {
			err := runrec.ValidateJSON(mutate(t, f))
			if !errors.Is(err, runrec.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
	t.Run("allows added fields", func(t *testing.T) {
		b := mutate(t, func(m map[string]any) {
			m["future_section"] = map[string]any{"x": 1}
			m["run"].(map[string]any)["host"] = "db1"
		})
		if err := runrec.ValidateJSON(b); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("refuses what is not JSON", func(t *testing.T) {
		if err := runrec.ValidateJSON([]byte("{")); !errors.Is(err, runrec.ErrInvalid) {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestNormalize checks what Normalize promises report.json's readers: the
// schema version set, times in UTC, empty lists rather than null, figures
// JSON cannot carry zeroed with a note, and the caller's report untouched.
func TestNormalize(t *testing.T) {
	t.Run("a bare report gets its version, unit and empty lists", func(t *testing.T) {
		got := runrec.Normalize(&runrec.Report{Run: runrec.RunInfo{ID: "bare", Mode: "observe"}})
		if got.SchemaVersion != runrec.SchemaVersion || got.Throughput.Unit != "jobs/s" {
			t.Fatalf("schema_version %d unit %q", got.SchemaVersion, got.Throughput.Unit)
		}
		if got.Findings == nil || got.Recommendations == nil || got.Notes == nil ||
			got.Throughput.Series == nil || got.Run.Settings == nil {
			t.Fatalf("nil list or map in %+v", got)
		}
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		if err := runrec.ValidateJSON(b); err != nil {
			t.Fatalf("normalized bare report refused: %v", err)
		}
	})
	t.Run("times in UTC, odd figures zeroed with a note, the caller's report untouched", func(t *testing.T) {
		rep, _ := synthrun.Golden()
		odd := *rep
		odd.Run.StartedAt = rep.Run.StartedAt.In(time.FixedZone("X", 3600))
		odd.Findings = append([]runrec.Finding(nil), rep.Findings...)
		odd.Findings[0].Evidence = []runrec.Evidence{{Signal: "ratio", Value: math.NaN()}}
		odd.Throughput.Mean = math.Inf(1)
		got := runrec.Normalize(&odd)
		if got.Run.StartedAt.Location() != time.UTC || !got.Run.StartedAt.Equal(odd.Run.StartedAt) {
			t.Errorf("started_at = %v", got.Run.StartedAt)
		}
		if got.Throughput.Mean != 0 || got.Findings[0].Evidence[0].Value != 0 || len(got.Notes) != len(rep.Notes)+1 {
			t.Fatalf("mean %v evidence %v notes %q", got.Throughput.Mean, got.Findings[0].Evidence, got.Notes)
		}
		if !math.IsNaN(odd.Findings[0].Evidence[0].Value) || !math.IsInf(odd.Throughput.Mean, 1) || len(odd.Notes) != len(rep.Notes) {
			t.Fatal("Normalize changed the caller's report")
		}
	})
}
