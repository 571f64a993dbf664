package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// maxPlanCost is the planner cost above which a queue query is not run
// every tick (a sequential scan of a big table costs this much and more).
const maxPlanCost = 5000

// cheap EXPLAINs q and says whether it is cheap enough to run every tick.
func cheap(ctx context.Context, e *env, q string) (bool, string) {
	var plan []byte
	if err := e.conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+q).Scan(&plan); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42501" {
			return false, "no privilege: GRANT SELECT ON the table TO " + e.role
		}
		return false, "cannot plan: " + err.Error()
	}
	var p []struct {
		Plan planNode `json:"Plan"`
	}
	if err := json.Unmarshal(plan, &p); err != nil || len(p) == 0 {
		return false, "cannot read plan"
	}
	if p[0].Plan.TotalCost > maxPlanCost && p[0].Plan.hasSeqScan() {
		return false, fmt.Sprintf("the plan is a sequential scan costing %.0f", p[0].Plan.TotalCost)
	}
	return true, ""
}

// planNode is the part of an EXPLAIN (FORMAT JSON) node the check reads.
type planNode struct {
	NodeType  string     `json:"Node Type"`
	TotalCost float64    `json:"Total Cost"`
	Plans     []planNode `json:"Plans"`
}

func (n planNode) hasSeqScan() bool {
	if n.NodeType == "Seq Scan" {
		return true
	}
	for _, c := range n.Plans {
		if c.hasSeqScan() {
			return true
		}
	}
	return false
}
