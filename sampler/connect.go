package sampler

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed sql/server.sql
var serverSQL string

// ServerInfo describes the target server as the sampler found it at start.
type ServerInfo struct {
	Version    string
	VersionNum int
	// Settings are the tracked pg_settings values (see settings.go).
	Settings map[string]string
}

// connect opens the sampler's dedicated session.
func connect(ctx context.Context, cfg Config) (*pgx.Conn, error) {
	pc, err := pgx.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("collect: parse DSN: %w", err)
	}
	rp := pc.RuntimeParams
	rp["application_name"] = ApplicationName
	rp["statement_timeout"] = strconv.FormatInt(cfg.statementTimeout().Milliseconds(), 10)
	rp["lock_timeout"] = strconv.FormatInt(lockTimeout.Milliseconds(), 10)
	// A plan for a catalog query is never worth JIT compiling once a second.
	rp["jit"] = "off"
	// Queue tables of Rails systems keep UTC in timestamp without time zone:
	// ages computed against now() are only right in UTC.
	rp["TimeZone"] = "UTC"
	if cfg.ReadOnly {
		rp["default_transaction_read_only"] = "on"
	}
	conn, err := pgx.ConnectConfig(ctx, pc)
	if err != nil && strings.Contains(err.Error(), "unsupported startup parameter") {
		// A connection pooler (PgBouncer) accepts few startup parameters:
		// connect with application_name only and SET the rest.
		conn, err = connectThenSet(ctx, pc)
	}
	if err != nil {
		return nil, fmt.Errorf("collect: connect: %w", err)
	}
	return conn, nil
}

// connectThenSet connects with only application_name as a startup
// parameter and sets the others in the session.
func connectThenSet(ctx context.Context, pc *pgx.ConnConfig) (*pgx.Conn, error) {
	rest := map[string]string{}
	for k, v := range pc.RuntimeParams {
		if k != "application_name" {
			rest[k] = v
			delete(pc.RuntimeParams, k)
		}
	}
	conn, err := pgx.ConnectConfig(ctx, pc)
	if err != nil {
		return nil, err
	}
	for k, v := range rest {
		if _, err := conn.Exec(ctx, "SELECT pg_catalog.set_config($1, $2, false) /* pgqtune */", k, v); err != nil {
			conn.Close(context.Background())
			return nil, fmt.Errorf("set %s: %w", k, err)
		}
	}
	return conn, nil
}

// identify reads who and where the session is into e.
func identify(ctx context.Context, e *env) error {
	var oid uint32
	err := e.conn.QueryRow(ctx, serverSQL).Scan(&e.info.Version, &e.info.VersionNum, &e.role, &e.dbName,
		&oid, &e.pid, &e.superuser, &e.monitor, &e.started)
	if err != nil {
		return fmt.Errorf("collect: read server identity: %w", err)
	}
	e.dbOID = oid
	e.monitor = e.monitor || e.superuser
	return nil
}
