package pgboss_test

import (
	"testing"

	"github.com/pgqtune/pgqtune/internal/pgserver"
	"github.com/pgqtune/pgqtune/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m, pgserver.Options{}) }
