package sqlload_test

import (
	"testing"

	"github.com/pgqtune/pgqtune/sqlload"
	"github.com/pgqtune/pgqtune/sqlload/adaptertest"
)

func TestSkipLocked(t *testing.T) {
	adaptertest.Run(t, "skiplocked",
		sqlload.Settings{"completion": "delete"},
		sqlload.Settings{"completion": "update", "insert": "copy"},
		sqlload.Settings{"completion": "archive", "insert": "single", "notify": true},
	)
}
