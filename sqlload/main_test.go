package sqlload_test

import (
	"testing"

	"github.com/pgqtune/pgqtune/internal/pgserver"
	"github.com/pgqtune/pgqtune/internal/pgtest"
	// The driver's tests run scenarios naming every adapter.
	_ "github.com/pgqtune/pgqtune/sqlload/adapter/all"
)

func TestMain(m *testing.M) { pgtest.Main(m, pgserver.Options{}) }
