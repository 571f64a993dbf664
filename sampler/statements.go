package sampler

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/runrec"
)

var (
	//go:embed sql/statements.sql
	statementsSQL string
	//go:embed sql/statements_v17.sql
	statementsV17SQL string
	//go:embed sql/statement_texts.sql
	statementTextsSQL string
	//go:embed sql/statements_info.sql
	statementsInfoSQL string
	//go:embed sql/extension.sql
	extensionSQL string
)

// maxTextLen caps a recorded query text; the start of a query names it.
const maxTextLen = 4000

// stmtKey identifies a pg_stat_statements entry.
type stmtKey struct {
	queryID int64
	userID  uint32
	dbID    uint32
}

// stmtCounters are one entry's cumulative counters.
type stmtCounters struct {
	ints   [11]int64 // calls, rows, shared hit/read/dirtied/written, temp read/written, wal records/fpi/bytes
	execMs float64
}

// DiffSince returns the entry's change since prev, refusing when a counter
// went down (the entry was reset or evicted and re-created).
func (c stmtCounters) DiffSince(prev stmtCounters) (stmtCounters, bool) {
	d, ok := diffCounters(c.ints[:], prev.ints[:])
	if !ok || c.execMs < prev.execMs {
		return stmtCounters{}, false
	}
	var out stmtCounters
	copy(out.ints[:], d)
	out.execMs = c.execMs - prev.execMs
	return out, true
}

type statementsCollector struct {
	query     string
	textQuery string
	infoQuery string
	missing   runrec.CollectorStatus // why the collector cannot run; zero Kind when it can

	prev      map[stmtKey]stmtCounters
	prevReset time.Time
	texts     map[int64]bool // queryids whose text was already written
	own       map[int64]bool // the sampler's own queries, never recorded
}

func (*statementsCollector) name() string { return "statements" }
func (c *statementsCollector) forget()    { c.prev = nil }
func (c *statementsCollector) missingHint() string {
	return "CREATE EXTENSION pg_stat_statements (and add it to shared_preload_libraries)"
}

func (c *statementsCollector) prepare(ctx context.Context, e *env) []string {
	c.texts, c.own = map[int64]bool{}, map[int64]bool{}
	var schema, version string
	err := e.conn.QueryRow(ctx, extensionSQL, "pg_stat_statements").Scan(&schema, &version)
	if errors.Is(err, pgx.ErrNoRows) {
		install := "CREATE EXTENSION pg_stat_statements in database " + e.dbName +
			" (with pg_stat_statements in shared_preload_libraries)"
		c.missing = statusOf(runrec.StatusMissing, "missing: "+install)
		return []string{"pg_stat_statements is not installed: per-query evidence unavailable; " + install}
	}
	if err != nil {
		c.missing = statusOf(runrec.StatusError, "error: "+err.Error())
		return []string{"pg_stat_statements: cannot read its version: " + err.Error()}
	}
	q := pgx.Identifier{schema}.Sanitize()
	v := extVersion(version)
	base := statementsSQL
	if v < 108 {
		base = statementsV17SQL
	}
	top := ""
	if v >= 109 {
		top = "AND s.toplevel"
		c.infoQuery = strings.ReplaceAll(statementsInfoSQL, "{{pgss}}", q)
	}
	c.query = strings.NewReplacer("{{pgss}}", q, "{{toplevel}}", top).Replace(base)
	c.textQuery = strings.ReplaceAll(statementTextsSQL, "{{pgss}}", q)
	return nil
}

// extVersion turns "1.10" into 110 so versions compare as numbers.
func extVersion(v string) int {
	major, minor, _ := strings.Cut(v, ".")
	a, _ := strconv.Atoi(major)
	b, _ := strconv.Atoi(minor)
	return a*100 + b
}

// statementsReading is what the statements collector read in one tick.
type statementsReading struct {
	outcome
	// deltas are the workload statements' changes over the last tick,
	// busiest first.
	deltas []runrec.StatementDelta
	// counters are every entry's cumulative counters (nil when not read);
	// restarted says pg_stat_statements was reset since the previous read,
	// so that they are a new baseline.
	counters  map[stmtKey]stmtCounters
	restarted bool
	// texts are the workload statement texts read for the first time, for
	// the statement-role decision; complete only when the tick returned no
	// error.
	texts map[int64]string
}

func (r statementsReading) record(smp *runrec.Sample) {
	if r.deltas != nil {
		smp.Statements = r.deltas
	}
}

func (c *statementsCollector) collect(ctx context.Context, e *env) (statementsReading, error) {
	var r statementsReading
	if c.missing.Kind != "" {
		r.st = c.missing
		return r, nil
	}
	var reset time.Time
	if c.infoQuery != "" {
		var dealloc int64
		if err := e.conn.QueryRow(ctx, c.infoQuery).Scan(&reset, &dealloc); err != nil {
			return r, fmt.Errorf("read pg_stat_statements_info: %w", err)
		}
	}
	rows, err := e.conn.Query(ctx, c.query, e.dbOID)
	if err != nil {
		return r, fmt.Errorf("read pg_stat_statements: %w", err)
	}
	cur := make(map[stmtKey]stmtCounters, len(c.prev))
	var k stmtKey
	var v stmtCounters
	n := &v.ints
	_, err = pgx.ForEachRow(rows, []any{&k.queryID, &k.userID, &k.dbID, &n[0], &v.execMs, &n[1], &n[2], &n[3], &n[4], &n[5],
		&n[6], &n[7], &n[8], &n[9], &n[10]}, func() error {
		cur[k] = v
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("read pg_stat_statements: %w", err)
	}
	prev, prevReset := c.prev, c.prevReset
	c.prev, c.prevReset = cur, reset
	r.counters, r.restarted = cur, prev != nil && !reset.Equal(prevReset)
	if prev == nil {
		return r, nil
	}
	if !reset.Equal(prevReset) {
		r.st = statusReset
		return r, nil
	}
	var out []runrec.StatementDelta
	var newIDs []int64
	for key, now := range cur {
		if c.own[key.queryID] {
			continue
		}
		before, seen := prev[key]
		// An entry absent last tick was created (or re-created after an
		// eviction or a reset) since then: all its counts are new.
		d := now
		if seen {
			var ok bool
			if d, ok = now.DiffSince(before); !ok {
				continue
			}
		}
		if d.ints[0] == 0 {
			continue
		}
		out = append(out, runrec.StatementDelta{
			QueryID: key.queryID, UserID: key.userID, DBID: key.dbID,
			Calls: d.ints[0], TotalExecMs: d.execMs, Rows: d.ints[1],
			SharedBlksHit: d.ints[2], SharedBlksRead: d.ints[3], SharedBlksDirtied: d.ints[4], SharedBlksWritten: d.ints[5],
			TempBlksRead: d.ints[6], TempBlksWritten: d.ints[7],
			WALRecords: d.ints[8], WALFPI: d.ints[9], WALBytes: d.ints[10],
		})
		if !c.texts[key.queryID] {
			newIDs = append(newIDs, key.queryID)
		}
	}
	if len(newIDs) > 0 {
		r.texts = map[int64]string{}
		if err := c.readTexts(ctx, e, newIDs, r.texts); err != nil {
			return r, err
		}
		kept := out[:0]
		for _, s := range out {
			if c.own[s.QueryID] {
				continue
			}
			if t, ok := r.texts[s.QueryID]; ok && !c.texts[s.QueryID] {
				s.Text = t
				c.texts[s.QueryID] = true
			}
			kept = append(kept, s)
		}
		out = kept
	}
	// Busiest first, so a reader skimming a sample sees what mattered.
	sort.Slice(out, func(i, j int) bool {
		if out[i].TotalExecMs != out[j].TotalExecMs {
			return out[i].TotalExecMs > out[j].TotalExecMs
		}
		return out[i].QueryID < out[j].QueryID
	})
	r.deltas = out
	return r, nil
}

// readTexts reads the texts of ids into texts, marking the sampler's own
// queries.
func (c *statementsCollector) readTexts(ctx context.Context, e *env, ids []int64, texts map[int64]string) error {
	rows, err := e.conn.Query(ctx, c.textQuery, e.dbOID, ids)
	if err != nil {
		return fmt.Errorf("read pg_stat_statements texts: %w", err)
	}
	var id int64
	var text string
	_, err = pgx.ForEachRow(rows, []any{&id, &text}, func() error {
		if strings.Contains(text, "/* pgqtune */") {
			c.own[id] = true
			return nil
		}
		texts[id] = truncate(text, maxTextLen)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read pg_stat_statements texts: %w", err)
	}
	return nil
}

// truncate cuts s to at most n bytes without splitting a UTF-8 character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
