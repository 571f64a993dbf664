package report_test

import (
	"flag"
	"os"
	"testing"

	"github.com/pgqtune/pgqtune/internal/pgserver"
	"github.com/pgqtune/pgqtune/internal/pgtest"
)

// The results store is tested against a real cluster. A fuzzing worker
// (go test -fuzz) runs only the fuzz target and needs none.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.fuzzworker"); f != nil && f.Value.String() == "true" {
		os.Exit(m.Run())
	}
	pgtest.Main(m, pgserver.Options{})
}
