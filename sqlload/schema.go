package sqlload

import (
	"context"
	"errors"
	"fmt"

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
