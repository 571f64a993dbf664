package sampler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// maxPlanCost is the planner cost above which a queue query is not run
// every tick (a sequential scan of a big table costs this much and more).
const maxPlanCost = 5000

// cheap EXPLAINs q and says whether it is cheap enough to run every tick.
func cheap(ctx context.Context, e *env, q string) (bool, string) {
	plan, reason := explain(ctx, e, q)
	if reason != "" {
		return false, reason
	}
	if plan.TotalCost > maxPlanCost && plan.has("Seq Scan") {
		return false, fmt.Sprintf("the plan is a sequential scan costing %.0f", plan.TotalCost)
	}
	return true, ""
}

// indexOrdered EXPLAINs q, an ORDER BY ... LIMIT query, and says whether
// an index hands it its rows in order: past the depth cap the table holds
// at least 100000 waiting rows, and reading or sorting them all every
// second is never cheap, whatever the planner's cost says.
func indexOrdered(ctx context.Context, e *env, q string) (bool, string) {
	plan, reason := explain(ctx, e, q)
	if reason != "" {
		return false, reason
	}
	switch {
	case plan.has("Sort"):
		return false, "the plan sorts every waiting row"
	case plan.has("Seq Scan"):
		return false, "the plan is a sequential scan"
	}
	return true, ""
}

// explain returns q's plan, or why there is none.
func explain(ctx context.Context, e *env, q string) (planNode, string) {
	var plan []byte
	if err := e.conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+q).Scan(&plan); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42501" {
			return planNode{}, "no privilege: GRANT SELECT ON the table TO " + e.role
		}
		return planNode{}, "cannot plan: " + err.Error()
	}
	var p []struct {
		Plan planNode `json:"Plan"`
	}
	if err := json.Unmarshal(plan, &p); err != nil || len(p) == 0 {
		return planNode{}, "cannot read plan"
	}
	return p[0].Plan, ""
}

// planNode is the part of an EXPLAIN (FORMAT JSON) node the check reads.
type planNode struct {
	NodeType  string     `json:"Node Type"`
	TotalCost float64    `json:"Total Cost"`
	Plans     []planNode `json:"Plans"`
}

// has says whether the plan has a node whose type ends in kind: "Seq
// Scan" also finds "Parallel Seq Scan", "Sort" also "Incremental Sort".
func (n planNode) has(kind string) bool {
	if strings.HasSuffix(n.NodeType, kind) {
		return true
	}
	for _, c := range n.Plans {
		if c.has(kind) {
			return true
		}
	}
	return false
}
