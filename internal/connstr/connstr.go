// Package connstr keeps passwords out of what pgqtune prints and writes.
//
// Every command that takes a DSN (run, observe, validate, history --store)
// passes its messages through Redact or RedactErr before they reach a
// terminal, a file or a report, and names the database with Describe. It is
// one small package so that each command uses the same rules: the password
// of a URL or key=value DSN, of an unparsable DSN, and PGPASSWORD.
//
// Packages below internal/ (sqlload, analyze) do not import it: they return
// errors, and the command or pipeline session that knows the DSN redacts
// them.
package connstr

import (
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/runrec"
)

// Mask replaces a password in redacted text (the same mask a recorded
// command carries in run.json).
const Mask = runrec.PasswordMask

// Describe returns "user@host:port/db" for a DSN, never its password; it
// returns "(invalid DSN)" when the DSN does not parse.
func Describe(dsn string) string {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return "(invalid DSN)"
	}
	host := cfg.Host
	if strings.HasPrefix(host, "/") {
		host = "socket " + host
	}
	return fmt.Sprintf("%s@%s/%s", cfg.User, net.JoinHostPort(host, strconv.Itoa(int(cfg.Port))), cfg.Database)
}

// Redact returns s with every password of the given DSNs, and PGPASSWORD,
// replaced by Mask.
func Redact(s string, dsns ...string) string {
	for _, p := range passwords(dsns) {
		s = strings.ReplaceAll(s, p, Mask)
	}
	return s
}

// RedactErr returns err with its message redacted as Redact does; the
// result still unwraps to err, so errors.Is and errors.As keep working. It
// returns nil for a nil err.
func RedactErr(err error, dsns ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if red := Redact(msg, dsns...); red != msg {
		return &redacted{msg: red, err: err}
	}
	return err
}

type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

// passwords lists the non-empty passwords found in dsns and PGPASSWORD,
// longest first so that a password containing another is masked whole.
func passwords(dsns []string) []string {
	var out []string
	add := func(p string) {
		if p != "" {
			out = append(out, p)
		}
	}
	add(os.Getenv("PGPASSWORD"))
	for _, dsn := range dsns {
		if dsn == "" {
			continue
		}
		if cfg, err := pgx.ParseConfig(dsn); err == nil {
			add(cfg.Password)
		}
		// A DSN that does not parse may still hold a password.
		if i := strings.Index(dsn, "://"); i >= 0 {
			rest := dsn[i+3:]
			if at := strings.LastIndex(rest, "@"); at >= 0 {
				if c := strings.Index(rest[:at], ":"); c >= 0 {
					add(rest[c+1 : at])
				}
			}
		}
		for _, f := range strings.Fields(dsn) {
			if v, ok := strings.CutPrefix(f, "password="); ok {
				add(strings.Trim(v, "'"))
			}
		}
	}
	// Longest first: "abc" must not leave "abc" of "abcdef" half masked.
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}
