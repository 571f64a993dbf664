package recommendations

import (
	"testing"

	"github.com/pgqtune/pgqtune/internal/pgserver"
	"github.com/pgqtune/pgqtune/internal/pgtest"
)

// max_prepared_transactions lets TestEveryRecommendationExecutes recreate
// the prepared transaction a recommendation finishes.
func TestMain(m *testing.M) {
	pgtest.Main(m, pgserver.Options{Settings: map[string]string{"max_prepared_transactions": "4"}})
}
