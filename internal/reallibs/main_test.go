package reallibs_test

import (
	"testing"

	"github.com/pgqtune/pgqtune/internal/pgserver"
	"github.com/pgqtune/pgqtune/internal/pgtest"
)

// Autovacuum runs eagerly (naptime 1 s), as in the fault tests, so that
// the libraries' dead tuples never become the finding.
func TestMain(m *testing.M) {
	pgtest.Main(m, pgserver.Options{Settings: map[string]string{"autovacuum_naptime": "1s"}})
}
