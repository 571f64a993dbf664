package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
)

// pgbenchScript writes a pgbench custom script holding the skiplocked
// adapter's own statements (read from sqlload/adapter/skiplocked/sql, so the
// script follows any change to them) for one enqueue + claim + complete cycle of --batch jobs,
// and prints the -D variables pgbench needs. Each $n becomes a pgbench
// variable, which pgbench -M prepared binds as a parameter, exactly as the
// driver's prepared statements are bound.
func pgbenchScript(args []string) error {
	fs := flag.NewFlagSet("pgbench-script", flag.ContinueOnError)
	sqlDir := fs.String("sqldir", "sqlload/adapter/skiplocked/sql", "directory of the skiplocked adapter's .sql files")
	schema := fs.String("schema", "pgqtune", "schema of the queue tables")
	batch := fs.Int("batch", 10, "jobs per enqueue and per claim")
	payload := fs.Int("payload", 200, "job document size in bytes")
	completion := fs.String("completion", "delete", "skiplocked completion mode: delete, update or archive")
	out := fs.String("out", "", "script file to write (the -D flags go to stdout)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || *batch < 1 {
		return fmt.Errorf("pgbench-script: need --out and --batch >= 1")
	}
	read := func(name string) (string, error) {
		b, err := os.ReadFile(filepath.Join(*sqlDir, name+".sql"))
		if err != nil {
			return "", fmt.Errorf("pgbench-script: %w", err)
		}
		s := strings.ReplaceAll(string(b), "{schema}", pgx.Identifier{*schema}.Sanitize())
		// pgbench substitutes :variables even inside comments, which
		// would turn a comment's "$2" into an untyped parameter: drop the
		// -- comment lines (the /* pgqtune */ marker stays).
		var keep []string
		for _, line := range strings.Split(s, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(line), "--") {
				keep = append(keep, line)
			}
		}
		return strings.TrimRight(strings.TrimSpace(strings.Join(keep, "\n")), ";"), nil
	}
	enqueue, err := read("skiplocked_enqueue")
	if err != nil {
		return err
	}
	claim, err := read("skiplocked_claim")
	if err != nil {
		return err
	}
	complete, err := read("skiplocked_complete_" + *completion)
	if err != nil {
		return err
	}
	enqueue = bindVars(enqueue, "queues", "prios", "run_at", "docs", "max_attempts")
	claim = bindVars(claim, "queue", "batch")
	complete = bindVars(complete, "ids")

	var b strings.Builder
	fmt.Fprintf(&b, "-- pgqtune bench: the skiplocked adapter's statements (sqlload/adapter/skiplocked/sql), one enqueue + claim + complete of %d jobs.\n", *batch)
	b.WriteString(enqueue + ";\n")
	// The claim's ids feed the completion, as they do in the driver; the
	// wrapper only aggregates them for \gset (pgbench keeps one row).
	b.WriteString("WITH claimed AS (\n" + claim + "\n)\nSELECT coalesce(array_agg(id), '{}') AS ids FROM claimed\n\\gset\n")
	b.WriteString(complete + ";\n")
	if err := os.WriteFile(*out, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("pgbench-script: %w", err)
	}

	doc := `{"seq":0,"t":0,"pad":"` + strings.Repeat("x", max(*payload-len(`{"seq":0,"t":0,"pad":""}`), 0)) + `"}`
	arr := func(v string) string { return "{" + strings.TrimSuffix(strings.Repeat(v+",", *batch), ",") + "}" }
	quotedDoc := `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(doc) + `"`
	vars := []string{
		"queues=" + arr("default"),
		"prios=" + arr("0"),
		"run_at=" + arr("NULL"),
		"docs=" + arr(quotedDoc),
		"max_attempts=3",
		"queue=default",
		fmt.Sprintf("batch=%d", *batch),
	}
	for _, v := range vars {
		fmt.Println("-D")
		fmt.Println(v)
	}
	return nil
}

var paramRE = regexp.MustCompile(`\$([0-9]+)`)

// bindVars replaces $1..$n with pgbench variables :names[0].. .
func bindVars(sql string, names ...string) string {
	return paramRE.ReplaceAllStringFunc(sql, func(m string) string {
		var i int
		fmt.Sscanf(m[1:], "%d", &i)
		if i < 1 || i > len(names) {
			return m
		}
		return ":" + names[i-1]
	})
}
