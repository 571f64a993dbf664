package sampler

import (
	"context"
	_ "embed"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/runrec"
)

//go:embed sql/xmin_holders.sql
var xminHoldersSQL string

type xminCollector struct{}

func (*xminCollector) name() string { return "xmin" }
func (*xminCollector) forget()      {}

// xminReading is what holds back the cleanup horizon at this tick.
type xminReading struct {
	outcome
	holders []runrec.XminHolder
}

func (r xminReading) record(smp *runrec.Sample) { smp.XminHolders = r.holders }

func (c *xminCollector) collect(ctx context.Context, e *env) (xminReading, error) {
	rows, err := e.conn.Query(ctx, xminHoldersSQL, e.perDatabaseHorizon())
	if err != nil {
		return xminReading{}, fmt.Errorf("read xmin holders: %w", err)
	}
	var out []runrec.XminHolder
	var h runrec.XminHolder
	_, err = pgx.ForEachRow(rows, []any{&h.Kind, &h.PID, &h.Name, &h.State, &h.Query, &h.XminAge, &h.AgeS, &h.IdleS}, func() error {
		out = append(out, h)
		return nil
	})
	if err != nil {
		return xminReading{}, fmt.Errorf("read xmin holders: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].XminAge > out[j].XminAge })
	return xminReading{holders: out}, nil
}

// perDatabaseHorizon reports whether the server keeps one cleanup horizon
// per database for ordinary tables (Postgres 14 and later): a snapshot in
// another database then holds back nothing of this one's.
func (e *env) perDatabaseHorizon() bool { return e.version() >= 140000 }
