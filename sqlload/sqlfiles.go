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
