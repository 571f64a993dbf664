package sampler

import (
	"context"
	_ "embed"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/runrec"
)

//go:embed sql/vacuum_progress.sql
var vacuumProgressSQL string

type vacuumCollector struct{ query string }

func (*vacuumCollector) name() string { return "vacuum" }
func (*vacuumCollector) forget()      {}

// vacuumReading is the vacuums running at this tick.
type vacuumReading struct {
	outcome
	vacuums []runrec.VacuumProgress
}

func (r vacuumReading) record(smp *runrec.Sample) { smp.Vacuums = r.vacuums }

func (c *vacuumCollector) collect(ctx context.Context, e *env) (vacuumReading, error) {
	if c.query == "" {
		dead := "p.num_dead_tuples"
		if e.version() >= 170000 {
			dead = "p.num_dead_item_ids"
		}
		c.query = strings.ReplaceAll(vacuumProgressSQL, "{{dead}}", dead)
	}
	rows, err := e.conn.Query(ctx, c.query, e.dbOID)
	if err != nil {
		return vacuumReading{}, fmt.Errorf("read pg_stat_progress_vacuum: %w", err)
	}
	var out []runrec.VacuumProgress
	var v runrec.VacuumProgress
	_, err = pgx.ForEachRow(rows, []any{&v.PID, &v.Relation, &v.Phase, &v.Auto, &v.HeapBlksTotal, &v.HeapBlksScanned,
		&v.HeapBlksVacuumed, &v.IndexVacuumCount, &v.NumDeadTuples}, func() error {
		out = append(out, v)
		return nil
	})
	if err != nil {
		return vacuumReading{}, fmt.Errorf("read pg_stat_progress_vacuum: %w", err)
	}
	return vacuumReading{vacuums: out}, nil
}
