package collect

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

func (c *statementsCollector) collect(ctx context.Context, e *env, smp *runrec.Sample) error {
	if c.missing.Kind != "" {
		setStatus(smp, c.name(), c.missing)
		return nil
	}
	var reset time.Time
	if c.infoQuery != "" {
		var dealloc int64
		if err := e.conn.QueryRow(ctx, c.infoQuery).Scan(&reset, &dealloc); err != nil {
			return fmt.Errorf("read pg_stat_statements_info: %w", err)
		}
	}
	rows, err := e.conn.Query(ctx, c.query, e.dbOID)
	if err != nil {
		return fmt.Errorf("read pg_stat_statements: %w", err)
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
		return fmt.Errorf("read pg_stat_statements: %w", err)
	}
	prev, prevReset := c.prev, c.prevReset
	c.prev, c.prevReset = cur, reset
	if e.stmtsFirst == nil || !reset.Equal(prevReset) && prev != nil {
		e.stmtsFirst = cur
	}
	e.stmtsCur = cur
	if prev == nil {
		return nil
	}
	if !reset.Equal(prevReset) {
		setStatus(smp, c.name(), statusReset)
		return nil
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
		texts, err := c.readTexts(ctx, e, newIDs)
		if err != nil {
			return err
		}
		kept := out[:0]
		for _, s := range out {
			if c.own[s.QueryID] {
				continue
			}
			if t, ok := texts[s.QueryID]; ok && !c.texts[s.QueryID] {
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
	smp.Statements = out
	return nil
}

// readTexts fetches the texts of ids, marking the sampler's own queries.
func (c *statementsCollector) readTexts(ctx context.Context, e *env, ids []int64) (map[int64]string, error) {
	rows, err := e.conn.Query(ctx, c.textQuery, e.dbOID, ids)
	if err != nil {
		return nil, fmt.Errorf("read pg_stat_statements texts: %w", err)
	}
	texts := map[int64]string{}
	var id int64
	var text string
	_, err = pgx.ForEachRow(rows, []any{&id, &text}, func() error {
		if strings.Contains(text, "/* pgqtune */") {
			c.own[id] = true
			return nil
		}
		text = truncate(text, maxTextLen)
		e.noteText(id, text)
		texts[id] = text
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read pg_stat_statements texts: %w", err)
	}
	if len(texts) > 0 {
		e.decide()
	}
	return texts, nil
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
