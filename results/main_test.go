package results_test

import (
	"testing"

	"github.com/pgqtune/pgqtune/internal/pgserver"
	"github.com/pgqtune/pgqtune/internal/pgtest"
)

// The results store is tested against a real cluster.
func TestMain(m *testing.M) {
	pgtest.Main(m, pgserver.Options{})
}
