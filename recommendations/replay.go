package recommendations

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/runrec"
)

// finishedWords name the states of finished jobs, in order of preference.
var finishedWords = []string{"completed", "complete", "done", "finished", "succeeded", "archived"}

// MatchCatalog makes freshly set-up queue tables at dsn look like the
// recorded run's: the same indexes (recorded ones created from their
// definitions, unrecorded ones dropped), the same reloptions, and about as
// many finished rows as the table held when the run started. A rerun that
// validates a recommendation then starts from the recorded situation (an
// index that was missing is missing again) rather than from the adapter's
// defaults. It returns notes on what it could not reproduce.
func MatchCatalog(ctx context.Context, dsn string, recorded *Catalog, run *runrec.Run) ([]string, error) {
	if recorded == nil || len(recorded.Tables) == 0 {
		return []string{"no catalog recorded: the rerun starts from the scenario's own schema"}, nil
	}
	var names []string
	for _, t := range recorded.Tables {
		names = append(names, t.Name)
	}
	now, err := SnapshotCatalog(ctx, dsn, names)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("match catalog: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	exec := func(sql string) error {
		if _, err := conn.Exec(ctx, sql, pgx.QueryExecModeSimpleProtocol); err != nil {
			return fmt.Errorf("match catalog: %s: %w", truncate(sql, 80), err)
		}
		return nil
	}
	var notes []string
	for _, want := range recorded.Tables {
		have := now.Table(want.Name)
		if have == nil {
			notes = append(notes, fmt.Sprintf("rerun: %s does not exist after setup; not reproduced", want.Name))
			continue
		}
		wantIx := map[string]Index{}
		for _, ix := range want.Indexes {
			wantIx[ix.Name] = ix
		}
		haveIx := map[string]bool{}
		for _, ix := range have.Indexes {
			haveIx[ix.Name] = true
			if _, ok := wantIx[ix.Name]; !ok && ix.Constraint == "" {
				if err := exec("DROP INDEX " + quoteQualified(ix.Name)); err != nil {
					return notes, err
				}
			}
		}
		for _, ix := range want.Indexes {
			if !haveIx[ix.Name] && ix.Constraint == "" && ix.Valid {
				if err := exec(ix.Definition); err != nil {
					return notes, err
				}
			}
		}
		if strings.Join(have.Reloptions, ",") != strings.Join(want.Reloptions, ",") {
			if len(have.Reloptions) > 0 {
				var keys []string
				for _, o := range have.Reloptions {
					k, _, _ := strings.Cut(o, "=")
					keys = append(keys, k)
				}
				if err := exec(fmt.Sprintf("ALTER TABLE %s RESET (%s)", quoteQualified(want.Name), strings.Join(keys, ", "))); err != nil {
					return notes, err
				}
			}
			if len(want.Reloptions) > 0 {
				if err := exec(fmt.Sprintf("ALTER TABLE %s SET (%s)", quoteQualified(want.Name), strings.Join(want.Reloptions, ", "))); err != nil {
					return notes, err
				}
			}
		}
		n, note, err := backfill(ctx, conn, &want, have, run)
		if err != nil {
			return notes, err
		}
		if note != "" {
			notes = append(notes, note)
		}
		if n > 0 {
			if err := exec("ANALYZE " + quoteQualified(want.Name)); err != nil {
				return notes, err
			}
		}
	}
	return notes, nil
}

// backfill inserts finished rows until the table holds as many rows as the
// recorded one did at the start of the run. Only the state column is set;
// every other column takes its default.
func backfill(ctx context.Context, conn *pgx.Conn, want, have *TableInfo, run *runrec.Run) (int64, string, error) {
	start := startRows(run, want.Name)
	var cur int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+quoteQualified(want.Name)).Scan(&cur); err != nil {
		return 0, "", fmt.Errorf("match catalog: count %s: %w", want.Name, err)
	}
	missing := start - cur
	if missing < 1000 {
		return 0, "", nil
	}
	stateCol, done := "", ""
	for _, c := range have.Columns {
		if stateColRe.MatchString(c.Name) {
			stateCol = c.Name
			for _, w := range finishedWords {
				for _, v := range pendingValueCandidates(want, c.Name) {
					if strings.EqualFold(v, w) && done == "" {
						done = v
					}
				}
			}
		}
	}
	if stateCol == "" || done == "" {
		return 0, fmt.Sprintf("rerun: %s held %d rows at the start of the run; no finished state known to back-fill them", want.Name, start), nil
	}
	sql := fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM generate_series(1, %d)", quoteQualified(want.Name), quoteIdent(stateCol), quoteLiteral(done), missing)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return 0, fmt.Sprintf("rerun: could not back-fill %d finished rows into %s: %v", missing, want.Name, oneLineErr(err)), nil
	}
	return missing, fmt.Sprintf("rerun: back-filled %d %s rows into %s to match the %d rows it held at the start of the run", missing, done, want.Name, start), nil
}

// startRows is the table's live rows in the run's first sample that has
// it: later samples already count the run's own inserts.
func startRows(run *runrec.Run, table string) int64 {
	if run == nil {
		return 0
	}
	for i := range run.Samples {
		for _, t := range run.Samples[i].Tables {
			if t.Relation == table {
				return t.LiveTup
			}
		}
	}
	return 0
}
