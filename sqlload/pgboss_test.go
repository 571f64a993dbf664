package sqlload_test

import (
	"context"
	"testing"

	"github.com/pgqtune/pgqtune/sqlload"
	"github.com/pgqtune/pgqtune/sqlload/adaptertest"
)

func TestPgBoss(t *testing.T) {
	if _, err := sqlload.PgBossDir(context.Background()); err != nil {
		t.Skip(err)
	}
	adaptertest.Run(t, "pgboss")
}
