package sqlload

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// SchemaMarker is the comment pgqtune puts on a schema it created, so that
// it only ever drops its own.
const SchemaMarker = "created by pgqtune; safe to drop"

// ErrSchemaNotOurs is returned by ClaimSchema for an existing schema that
// pgqtune did not create and the user did not name explicitly.
var ErrSchemaNotOurs = errors.New("schema exists and was not created by pgqtune")

// schemaCommentSQL reads a schema's comment (pg_namespace is small: no
// index question).
const schemaCommentSQL = `SELECT obj_description(oid, 'pg_namespace') FROM pg_catalog.pg_namespace WHERE nspname = $1`

// ClaimSchema makes sure schema is pgqtune's to use on conn: it creates it
// (marked with SchemaMarker), reuses one it created before (emptied), or
// refuses one it did not create (ErrSchemaNotOurs) unless explicit, when it
// uses it as it is. It reports whether pgqtune owns the schema, that is,
// whether DropSchema may drop it after the run.
func ClaimSchema(ctx context.Context, conn *pgx.Conn, schema string, explicit bool) (bool, error) {
	var comment *string
	err := conn.QueryRow(ctx, schemaCommentSQL, schema).Scan(&comment)
	exists := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("look up schema %s: %w", schema, err)
	}
	ident := pgx.Identifier{schema}.Sanitize()
	switch {
	case !exists:
		if _, err := conn.Exec(ctx, "CREATE SCHEMA "+ident); err != nil {
			return false, fmt.Errorf("create schema %s: %w", schema, err)
		}
	case comment != nil && *comment == SchemaMarker:
		// Ours from an earlier run: start clean.
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+ident+" CASCADE"); err != nil {
			return false, fmt.Errorf("drop pgqtune's old schema %s: %w", schema, err)
		}
		if _, err := conn.Exec(ctx, "CREATE SCHEMA "+ident); err != nil {
			return false, fmt.Errorf("create schema %s: %w", schema, err)
		}
	case explicit:
		return false, nil
	default:
		return false, fmt.Errorf("schema %s: %w", schema, ErrSchemaNotOurs)
	}
	if _, err := conn.Exec(ctx, "COMMENT ON SCHEMA "+ident+" IS '"+SchemaMarker+"'"); err != nil {
		return false, fmt.Errorf("mark schema %s: %w", schema, err)
	}
	return true, nil
}

// DropSchema drops schema on conn if it carries SchemaMarker, and does
// nothing otherwise (a schema that is gone is not an error).
func DropSchema(ctx context.Context, conn *pgx.Conn, schema string) error {
	var comment *string
	err := conn.QueryRow(ctx, schemaCommentSQL, schema).Scan(&comment)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("look up schema %s: %w", schema, err)
	}
	if comment == nil || *comment != SchemaMarker {
		return nil
	}
	if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
		return fmt.Errorf("drop schema %s: %w", schema, err)
	}
	return nil
}

// DropSchemaTimeout bounds DropSchemaDSN: the drop runs after the run, when
// the user is waiting for their prompt, and a server that does not answer
// within it should cost a warning, not a hang.
const DropSchemaTimeout = 30 * time.Second

// ConnectError is a ClaimSchemaDSN or DropSchemaDSN failure to reach the
// database, as opposed to a failure of the schema's own SQL. It is a type
// of its own because the caller words the two differently: only the caller
// knows how to name the target without its password, so it reads Err (pgx's
// error) rather than this error's text.
type ConnectError struct {
	// Op is the operation that needed the connection ("claim schema x").
	Op string
	// Err is pgx.Connect's error.
	Err error
}

// Error names the operation and the connect failure.
func (e *ConnectError) Error() string { return e.Op + ": connect: " + e.Err.Error() }

// Unwrap returns pgx's error, so errors.As finds a *pgconn.PgError in it.
func (e *ConnectError) Unwrap() error { return e.Err }

// ClaimSchemaDSN connects to dsn and runs ClaimSchema on that connection,
// closed before it returns: the claim happens once, before the workload's
// pool exists, so it has a connection of its own. A failure to connect is a
// *ConnectError; ClaimSchema's errors (ErrSchemaNotOurs among them) come
// back as ClaimSchema returns them, already naming their step.
func ClaimSchemaDSN(ctx context.Context, dsn, schema string, explicit bool) (bool, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return false, &ConnectError{Op: "claim schema " + schema, Err: err}
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return ClaimSchema(ctx, conn, schema, explicit)
}

// DropSchemaDSN connects to dsn and runs DropSchema on that connection,
// within DropSchemaTimeout. It returns every failure (a *ConnectError when
// the database could not be reached): a schema left behind is the user's to
// drop, so the caller must tell them rather than drop the error.
func DropSchemaDSN(ctx context.Context, dsn, schema string) error {
	ctx, cancel := context.WithTimeout(ctx, DropSchemaTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return &ConnectError{Op: "drop schema " + schema, Err: err}
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return DropSchema(ctx, conn, schema)
}
