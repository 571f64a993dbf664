package results

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/migrations"
	"github.com/pgqtune/pgqtune/report"
	"github.com/pgqtune/pgqtune/runrec"
)

// ResultsSchema is the schema of the shared results store.
const ResultsSchema = "pgqtune_results"

// resultsSet is the migrations set of the results store.
const resultsSet = "results"

var (
	//go:embed sql/store_run.sql
	storeRunSQL string
	//go:embed sql/store_finding.sql
	storeFindingSQL string
	//go:embed sql/history.sql
	historySQL string
)

// Store saves rep in the results store at dsn (schema pgqtune_results,
// created or migrated first). Storing a run id again replaces it, so
// re-running `history --push` is harmless.
func Store(ctx context.Context, dsn string, rep *runrec.Report) error {
	r := runrec.Normalize(rep)
	doc, err := report.MarshalJSON(r)
	if err != nil {
		return err
	}
	conn, err := connectStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		l := r.Throughput.LatencyMs
		if _, err := tx.Exec(ctx, storeRunSQL, r.Run.ID, r.Run.StartedAt, nullTime(r.Run.EndedAt), r.Run.Mode, r.Run.Scenario,
			r.Run.ServerVersion, r.Run.Target, r.Throughput.Baseline, r.Throughput.Mean, l.P50, l.P95, l.P99,
			len(r.Findings), len(r.Recommendations), json.RawMessage(doc)); err != nil {
			return fmt.Errorf("store run: %w", err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM finding WHERE run_id = $1", r.Run.ID); err != nil {
			return fmt.Errorf("replace findings: %w", err)
		}
		var b pgx.Batch
		for _, f := range r.Findings {
			b.Queue(storeFindingSQL, r.Run.ID, f.ID, f.Cause, f.Start, f.End, f.ThroughputDropPct, f.Confidence, f.Summary)
		}
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return fmt.Errorf("store findings: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("report: store run %s: %w", r.Run.ID, err)
	}
	return nil
}

// StoredHistory lists the newest limit runs of the results store at dsn.
func StoredHistory(ctx context.Context, dsn string, limit int) ([]HistoryEntry, error) {
	conn, err := connectStore(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, historySQL, limit)
	if err != nil {
		return nil, fmt.Errorf("report: read stored history: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (HistoryEntry, error) {
		var e HistoryEntry
		err := row.Scan(&e.ID, &e.StartedAt, &e.Mode, &e.Scenario, &e.ServerVersion, &e.Target, &e.Baseline, &e.Mean,
			&e.P99Ms, &e.Findings, &e.Recommendations, &e.Causes)
		e.StartedAt = e.StartedAt.UTC()
		if len(e.Causes) == 0 {
			e.Causes = nil
		}
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("report: read stored history: %w", err)
	}
	return out, nil
}

// connectStore migrates the results schema and opens a session whose
// search_path is that schema, so the embedded SQL names tables unqualified.
func connectStore(ctx context.Context, dsn string) (*pgx.Conn, error) {
	if err := migrations.Up(ctx, dsn, resultsSet, ResultsSchema); err != nil {
		return nil, fmt.Errorf("report: prepare results store: %w", err)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("report: results store DSN: %w", err)
	}
	cfg.RuntimeParams["search_path"] = pgx.Identifier{ResultsSchema}.Sanitize()
	cfg.RuntimeParams["application_name"] = "pgqtune results"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("report: connect to results store: %w", err)
	}
	return conn, nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
