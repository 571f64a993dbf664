package skiplocked_test

import (
	"testing"

	"github.com/pgqtune/pgqtune/internal/pgserver"
	"github.com/pgqtune/pgqtune/internal/pgtest"
	// The adapter under test registers itself.
	_ "github.com/pgqtune/pgqtune/sqlload/adapter/skiplocked"
)

func TestMain(m *testing.M) { pgtest.Main(m, pgserver.Options{}) }
