package sqlload

import (
	"embed"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed sql/*.sql
var sqlFiles embed.FS

// loadSQL returns sql/name.sql with {schema} replaced by the quoted schema
// name. A missing file is a build mistake, caught by every test.
func loadSQL(name, schema string) string {
	b, err := sqlFiles.ReadFile("sql/" + name + ".sql")
	if err != nil {
		return "/* missing sql/" + name + ".sql */ SELECT error"
	}
	return strings.ReplaceAll(string(b), "{schema}", pgx.Identifier{schema}.Sanitize())
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
	if plain {
		return s
	}
	return pgx.Identifier{s}.Sanitize()
}
