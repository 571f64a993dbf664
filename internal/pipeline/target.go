package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgqtune/pgqtune/internal/connstr"
	"github.com/pgqtune/pgqtune/internal/pgserver"
)

// ErrBadInput marks errors caused by the user's input (flags, files, DSN):
// the CLI exits 2 for them.
var ErrBadInput = errors.New("bad input")

// badInput wraps err so that errors.Is(err, ErrBadInput) holds while the
// message stays the caller's.
func badInput(err error) error { return &inputError{err: err} }

func badInputf(format string, args ...any) error { return badInput(fmt.Errorf(format, args...)) }

type inputError struct{ err error }

func (e *inputError) Error() string        { return e.err.Error() }
func (e *inputError) Unwrap() []error      { return []error{e.err, ErrBadInput} }
func (e *inputError) Is(target error) bool { return target == ErrBadInput }

// Target is the database a run works against.
type Target struct {
	// DSN connects to the target database (may carry a password: never print it).
	DSN string
	// Schema holds pgqtune's own queue tables (run mode).
	Schema string
	// Server is the throwaway cluster, nil when the user gave --dsn.
	Server *pgserver.Server
}

// Describe returns "user@host:port/db" for a DSN, never its password (see
// connstr.Describe).
func Describe(dsn string) string { return connstr.Describe(dsn) }

// checkConnect connects once within 10 s and returns a one-line error that
// names host and port and never the password.
func checkConnect(ctx context.Context, dsn string) (serverVersion string, err error) {
	cfg, perr := pgx.ParseConfig(dsn)
	if perr != nil {
		return "", badInputf("cannot parse the DSN: %s", redactErr(perr, dsn))
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, cerr := pgx.ConnectConfig(ctx, cfg)
	// A full server or one starting up is not the user's mistake, and may
	// pass: try again for a few seconds before giving up.
	for wait := 250 * time.Millisecond; cerr != nil && serverBusy(cerr) && wait < 4*time.Second; wait *= 2 {
		select {
		case <-ctx.Done():
		case <-time.After(wait):
			conn, cerr = pgx.ConnectConfig(ctx, cfg)
			continue
		}
		break
	}
	if cerr != nil {
		if serverBusy(cerr) {
			hint := "the server is starting up or shutting down; retry when it is up"
			var pgErr *pgconn.PgError
			if errors.As(cerr, &pgErr) && pgErr.Code == "53300" {
				hint = "every connection slot is taken (max_connections); end idle sessions or raise max_connections, then retry"
			}
			return "", fmt.Errorf("cannot connect to %s: %s: %s", Describe(dsn), rootCause(cerr, dsn), hint)
		}
		return "", badInputf("cannot connect to %s: %s", Describe(dsn), rootCause(cerr, dsn))
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&serverVersion); err != nil {
		return "", fmt.Errorf("read server_version from %s: %w", Describe(dsn), err)
	}
	return serverVersion, nil
}

// serverBusy says whether a connection was refused for a passing reason:
// every slot taken (53300) or the server starting up or shutting down
// (57P03).
func serverBusy(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "53300" || pgErr.Code == "57P03")
}

// rootCause reduces a pgx connect error to its innermost message (pgx
// prefixes it with the whole connection description), without secrets.
func rootCause(err error, dsn string) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return redact(pgErr.Message+" (SQLSTATE "+pgErr.Code+")", dsn)
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && i+2 < len(msg) {
		// keep the last two segments: "dial error: connection refused"
		if j := strings.LastIndex(msg[:i], ": "); j >= 0 {
			msg = msg[j+2:]
		} else {
			msg = msg[i+2:]
		}
	}
	if strings.Contains(msg, "context deadline exceeded") || strings.Contains(msg, "timeout") {
		msg = "no answer within 10s"
	}
	return redact(msg, dsn)
}

func redactErr(err error, dsn string) string { return connstr.Redact(err.Error(), dsn) }

// redact removes the DSN's password (and PGPASSWORD) from s.
func redact(s, dsn string) string { return connstr.Redact(s, dsn) }
