package report_test

import (
	"os"
	"testing"

	"github.com/pgqtune/pgqtune/internal/synthrun"
	"github.com/pgqtune/pgqtune/report"
)

// TestRenderSample writes the fixture's report to $PGQTUNE_REPORT_OUT when
// set, for looking at by hand.
func TestRenderSample(t *testing.T) {
	out := os.Getenv("PGQTUNE_REPORT_OUT")
	if out == "" {
		t.Skip("set PGQTUNE_REPORT_OUT=DIR to write the fixture's report there")
	}
	rep, run := synthrun.Golden()
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	synthrun.WriteRunDir(t, out, run)
	if err := report.Write(out, rep, run); err != nil {
		t.Fatal(err)
	}
}
