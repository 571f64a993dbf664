package sqlload

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// RetrySetup runs an idempotent Setup step again when the connection was
// lost under it (a terminated session, a restarting server): a run whose
// sessions are being killed must still get its tables. Other errors, and a
// cancelled ctx, end it at once. Adapters wrap each DDL step of their Setup
// in it.
func RetrySetup(ctx context.Context, step func() error) error {
	var err error
	for attempt := 0; attempt < 6; attempt++ {
		if err = step(); err == nil || !ConnectionLost(err) || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(50<<attempt) * time.Millisecond):
		}
	}
	return err
}

// ConnectionLost reports errors after which the same statement may simply
// be sent again on a new connection: SQLSTATE classes 08 (connection
// exception) and 57 (operator intervention, e.g. a terminated backend),
// failures to connect, and errors pgconn knows nothing was sent for.
func ConnectionLost(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57")
	}
	var ce *pgconn.ConnectError
	return pgconn.SafeToRetry(err) || errors.As(err, &ce) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.Timeout(err)
}
