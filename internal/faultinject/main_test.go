package faultinject_test

import (
	"testing"

	"github.com/pgqtune/pgqtune/internal/pgserver"
	"github.com/pgqtune/pgqtune/internal/pgtest"
)

// TestMain starts the shared cluster for the tests that do not restart or
// reconfigure the server (killed backends, statistics reset).
func TestMain(m *testing.M) { pgtest.Main(m, pgserver.Options{}) }
