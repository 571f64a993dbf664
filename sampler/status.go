package sampler

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgqtune/pgqtune/runrec"
)

// ErrConnLost reports that the sampler's connection is gone; Run reconnects.
var ErrConnLost = errors.New("collect: connection lost")

// hint tells a collector's missing-object status what to install.
type hint struct {
	missing string // e.g. "CREATE EXTENSION pg_stat_statements"
}

// classify turns a collector error into its status, or returns
// ErrConnLost (wrapped) when the connection is gone and the whole tick must
// stop. role names the session user for GRANT hints.
func classify(err error, role string, h hint) (runrec.CollectorStatus, error) {
	if err == nil {
		return runrec.CollectorStatus{Kind: runrec.StatusOK}, nil
	}
	if isConnLost(err) {
		return runrec.CollectorStatus{}, fmt.Errorf("%w: %w", ErrConnLost, err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "42501":
			return statusOf(runrec.StatusNoPrivilege, "no privilege: GRANT pg_monitor TO "+role+" ("+pgErr.Message+")"), nil
		case "42P01", "42883", "3F000":
			if h.missing != "" {
				return statusOf(runrec.StatusMissing, "missing: "+h.missing+" ("+pgErr.Message+")"), nil
			}
			return statusOf(runrec.StatusMissing, "missing: "+pgErr.Message), nil
		case "55000":
			// pg_stat_statements created but not preloaded.
			if strings.Contains(pgErr.Message, "shared_preload_libraries") {
				return statusOf(runrec.StatusMissing, "missing: add pg_stat_statements to shared_preload_libraries and restart ("+pgErr.Message+")"), nil
			}
		case "0A000":
			return statusOf(runrec.StatusUnsupported, "unsupported: "+pgErr.Message), nil
		case "55P03":
			return statusOf(runrec.StatusError, "error: lock timeout (another session holds or waits for a conflicting lock)"), nil
		case "57014":
			return statusOf(runrec.StatusError, "error: statement timeout"), nil
		}
		return statusOf(runrec.StatusError, "error: "+pgErr.Code+" "+pgErr.Message), nil
	}
	return statusOf(runrec.StatusError, "error: "+err.Error()), nil
}

// statusOf builds a CollectorStatus whose detail is the human text notes and
// reports show.
func statusOf(kind runrec.StatusKind, detail string) runrec.CollectorStatus {
	return runrec.CollectorStatus{Kind: kind, Detail: detail}
}

// statusReset is the status of a collector whose counters went backwards.
var statusReset = runrec.CollectorStatus{Kind: runrec.StatusReset}

// isConnLost is true for errors after which the connection cannot be used.
func isConnLost(err error) bool {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// 08: connection exceptions; 57P01-03: shutdown, crash, not yet up.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P")
	}
	return pgconn.SafeToRetry(err)
}
