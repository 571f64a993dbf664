package sqlload

import (
	"io/fs"
	"strings"

	"github.com/jackc/pgx/v5"
)

// LoadSQL returns sql/name.sql of fsys (an adapter's embedded SQL files)
// with its whole-line comments dropped and {schema} replaced by the quoted
// schema name. A missing file is a build mistake, caught by every test: the
// statement returned then fails with the file's name in it.
func LoadSQL(fsys fs.FS, name, schema string) string {
	b, err := fs.ReadFile(fsys, "sql/"+name+".sql")
	if err != nil {
		return "/* missing sql/" + name + ".sql */ SELECT error"
	}
	return strings.ReplaceAll(stripLineComments(string(b)), "{schema}", pgx.Identifier{schema}.Sanitize())
}

// stripLineComments drops whole-line "--" comments: they are for readers of
// the .sql file, and sent to the server they would fill pg_stat_statements
// (and every report quoting it) with prose. The /* pgqtune ... */ marker
// stays, so sampled statements still say where they come from.
func stripLineComments(sql string) string {
	lines := strings.Split(sql, "\n")
	out := lines[:0]
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "--") {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// QualifiedName returns schema.table as a DBA would type it: each part is
// quoted only when it needs to be, so "pgqtune.job" stays readable and a
// "Mixed Case" schema still works in SQL.
func QualifiedName(schema, table string) string {
	return quoteIfNeeded(schema) + "." + quoteIfNeeded(table)
}

func quoteIfNeeded(s string) string {
	plain := s != ""
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_' || (i > 0 && (r >= '0' && r <= '9' || r == '$'))) {
			plain = false
			break
		}
	}
	if plain && !reservedWords[s] {
		return s
	}
	return pgx.Identifier{s}.Sanitize()
}

// reservedWords are Postgres' reserved key words (pg_get_keywords() catcode
// R and T), which cannot name a table or schema unquoted.
var reservedWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`all analyse analyze and any array as asc asymmetric authorization binary
		both case cast check collate collation column concurrently constraint create cross current_catalog
		current_date current_role current_schema current_time current_timestamp current_user default
		deferrable desc distinct do else end except false fetch for foreign freeze from full grant group
		having ilike in initially inner intersect into is isnull join lateral leading left like limit
		localtime localtimestamp natural not notnull null offset on only or order outer overlaps placing
		primary references returning right select session_user similar some symmetric table tablesample
		then to trailing true union unique user using variadic verbose when where window with`) {
		m[w] = true
	}
	return m
}()
