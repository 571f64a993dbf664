package recommendations

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/pgqtune/pgqtune/units"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// fmtBytes renders a size the way Postgres settings are written: "20 MB",
// "16.1 kB".
func fmtBytes(b float64) string { return units.Bytes(b, units.BytesSetting) }

// fmtNum renders a count or rate with at most one decimal.
func fmtNum(v float64) string {
	switch {
	case math.Abs(v) >= 100:
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	case math.Abs(v) >= 10:
		return trimFloat(math.Round(v*10) / 10)
	}
	return trimFloat(math.Round(v*100) / 100)
}

func fmtPct(ratio float64) string { return fmtNum(ratio*100) + "%" }

func trimFloat(v float64) string {
	s := strconv.FormatFloat(v, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0")
}

// roundNice rounds up to 1, 2 or 5 times a power of ten.
func roundNice(v float64) int64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return int64(m * p)
		}
	}
	return int64(10 * p)
}

// mbSetting renders bytes as a setting value rounded up to a power of two MB
// (or GB), e.g. '2GB'.
func mbSetting(b float64) string {
	mb := math.Max(1, math.Ceil(b/(1<<20)))
	p := math.Pow(2, math.Ceil(math.Log2(mb)))
	if p >= 1024 {
		return fmt.Sprintf("%.0fGB", p/1024)
	}
	return fmt.Sprintf("%.0fMB", p)
}

// reserved are the keywords that must be quoted as identifiers in the SQL
// pgqtune writes (the full list is long; these are the ones queue schemas
// actually use as column and table names).
var reserved = map[string]bool{"user": true, "order": true, "table": true, "group": true, "limit": true,
	"offset": true, "select": true, "where": true, "from": true, "to": true, "end": true, "default": true,
	"check": true, "primary": true, "references": true, "column": true, "desc": true, "asc": true}

// quoteIdent quotes an identifier when Postgres would otherwise fold or
// reject it.
func quoteIdent(s string) string {
	ok := s != "" && !reserved[s]
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || i > 0 && (r >= '0' && r <= '9' || r == '$')) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// quoteQualified quotes "schema.name" part by part.
func quoteQualified(name string) string {
	schema, rel, ok := strings.Cut(name, ".")
	if !ok {
		return quoteIdent(name)
	}
	return quoteIdent(schema) + "." + quoteIdent(rel)
}

// quoteLiteral quotes a string literal.
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// bareName strips the schema.
func bareName(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// lockTimeoutSQL starts every statement list that takes a table lock: a DDL
// waiting for its lock queues every later claim behind it, so it gives up
// after a short wait, and the DBA retries at a quieter moment.
const lockTimeoutSQL = "SET lock_timeout = '2s';  -- on a lock timeout error, retry later: waiting longer would queue every worker behind this statement\n"

// noStatementTimeoutSQL starts a CONCURRENTLY build: a database-wide
// statement_timeout that cuts one off halfway leaves an INVALID index
// behind (written to as if valid, never used).
const noStatementTimeoutSQL = "SET statement_timeout = 0;  -- a concurrent build cut off halfway leaves an INVALID index behind\n"

// withLockTimeout prefixes DDL with lockTimeoutSQL.
func withLockTimeout(sql string) string { return lockTimeoutSQL + sql }

// concurrently prefixes a CREATE/REINDEX ... CONCURRENTLY with
// noStatementTimeoutSQL.
func concurrently(sql string) string { return noStatementTimeoutSQL + sql }

// vacuumFullWarning is said wherever VACUUM FULL is mentioned: it rewrites
// the table under an ACCESS EXCLUSIVE lock, so it is never the advice on a
// live queue without an online way to the same end.
const vacuumFullWarning = "VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock that stops every worker for its whole duration; " +
	"online alternatives are pg_repack (brief locks only at the start and end) or, once the cause is fixed, letting vacuum reuse the space as the queue turns over"
