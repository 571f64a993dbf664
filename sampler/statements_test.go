package sampler_test

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sampler"
)

func TestStatements(t *testing.T) {
	mk := func(p *pgxpool.Pool) { exec(t, p, `CREATE TABLE stmt_probe (id int)`) }

	t.Run("per-query deltas with the text written once", func(t *testing.T) {
		b := setup(t, sampler.Config{}, mk)
		r := record(t, b.s)
		r.ticks(t, 2)
		for i := 0; i < 7; i++ {
			exec(t, b.pool, `INSERT INTO stmt_probe VALUES ($1)`, i)
		}
		r.ticks(t, 2)
		for i := 0; i < 5; i++ {
			exec(t, b.pool, `INSERT INTO stmt_probe VALUES ($1)`, i)
		}
		r.ticks(t, 2)
		ss := r.stop(t)
		var calls, texts, rows int64
		for _, s := range ss {
			for _, st := range s.Statements {
				if strings.Contains(st.Text, "pgqtune") {
					t.Errorf("the sampler records its own query: %q", st.Text)
				}
				if st.QueryID == 0 {
					continue
				}
				if strings.HasPrefix(st.Text, "INSERT INTO stmt_probe") {
					texts++
				}
			}
		}
		id := probeID(ss)
		if id == 0 {
			t.Fatalf("the probe INSERT never appeared in pg_stat_statements deltas")
		}
		for _, s := range ss {
			for _, st := range s.Statements {
				if st.QueryID == id {
					calls += st.Calls
					rows += st.Rows
					if st.Calls < 0 || st.TotalExecMs < 0 {
						t.Errorf("negative delta %+v", st)
					}
				}
			}
		}
		if calls != 12 || rows != 12 {
			t.Errorf("probe calls = %d rows = %d over the run, want 12 and 12", calls, rows)
		}
		if texts != 1 {
			t.Errorf("probe text written %d times, want once", texts)
		}
	})

	t.Run("a reset mid-run gives no negative numbers", func(t *testing.T) {
		b := setup(t, sampler.Config{}, mk)
		r := record(t, b.s)
		r.ticks(t, 2)
		for i := 0; i < 50; i++ {
			exec(t, b.pool, `INSERT INTO stmt_probe VALUES ($1)`, i)
		}
		r.ticks(t, 2)
		exec(t, b.pool, `SELECT pg_stat_statements_reset()`)
		exec(t, b.pool, `SELECT pg_stat_reset()`)
		r.waitFor(t, "the statements reset", func(s runrec.Sample) bool { return s.Status["statements"].Kind == runrec.StatusReset })
		for i := 0; i < 3; i++ {
			exec(t, b.pool, `INSERT INTO stmt_probe VALUES ($1)`, i)
		}
		r.ticks(t, 3)
		ss := r.stop(t)
		var resetDB bool
		for _, s := range ss {
			assertNonNegative(t, s)
			if s.Status["database"].Kind == runrec.StatusReset {
				resetDB = true
				if s.Database != nil {
					t.Errorf("a reset tick still has a database delta: %+v", s.Database)
				}
			}
		}
		if !resetDB {
			t.Errorf("pg_stat_reset() was not seen as a reset of pg_stat_database")
		}
		var after int64
		id := probeID(ss)
		for _, s := range ss {
			for _, st := range s.Statements {
				if st.QueryID == id {
					after += st.Calls
				}
			}
		}
		if after != 50+3 {
			t.Errorf("probe calls recorded = %d, want 53 (50 before the reset, 3 after)", after)
		}
	})
}

// probeID finds the queryid of the probe INSERT.
func probeID(ss []runrec.Sample) int64 {
	for _, s := range ss {
		for _, st := range s.Statements {
			if strings.HasPrefix(st.Text, "INSERT INTO stmt_probe") {
				return st.QueryID
			}
		}
	}
	return 0
}

// assertNonNegative fails on any negative counter delta in s.
func assertNonNegative(t *testing.T, s runrec.Sample) {
	t.Helper()
	neg := func(what string, vs ...int64) {
		for _, v := range vs {
			if v < 0 {
				t.Errorf("sample %v: negative %s: %v", s.T, what, vs)
				return
			}
		}
	}
	if d := s.Database; d != nil {
		neg("database", d.XactCommit, d.XactRollback, d.BlksRead, d.BlksHit, d.TupReturned, d.TupFetched,
			d.TupInserted, d.TupUpdated, d.TupDeleted, d.TempFiles, d.TempBytes, d.Deadlocks, d.Conflicts)
	}
	for _, st := range s.Statements {
		neg("statement", st.Calls, st.Rows, st.SharedBlksHit, st.SharedBlksRead, st.WALBytes, int64(st.TotalExecMs))
	}
	for _, tb := range s.Tables {
		neg("table "+tb.Relation, tb.SeqScan, tb.SeqTupRead, tb.IdxScan, tb.Ins, tb.Upd, tb.Del, tb.Vacuum, tb.HeapBlksHit)
	}
	for _, q := range s.Queues {
		neg("queue "+q.Table, q.Enqueued, q.Completed, q.Dequeued)
	}
	if w := s.WAL; w != nil {
		neg("wal", w.LSNBytes, w.Records, w.FPI, w.Bytes)
	}
	if c := s.Checkpointer; c != nil {
		neg("checkpointer", c.Timed, c.Requested, c.BuffersWritten)
	}
}
