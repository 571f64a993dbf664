package sqlload

import "testing"

func TestQualifiedName(t *testing.T) {
	for _, c := range []struct{ schema, table, want string }{
		{"pgqtune", "job", "pgqtune.job"},
		{"q2", "job_archive", "q2.job_archive"},
		{"Mixed Case", "job", `"Mixed Case".job`},
		{"user", "job", `"user".job`},
		{"9lives", "order", `"9lives"."order"`},
		{`we"ird`, "job", `"we""ird".job`},
	} {
		if got := QualifiedName(c.schema, c.table); got != c.want {
			t.Errorf("QualifiedName(%q, %q) = %s, want %s", c.schema, c.table, got, c.want)
		}
	}
}
