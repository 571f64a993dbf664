// Package all registers every queue adapter pgqtune ships: importing it
// (for its side effects) is what makes their names known to
// sqlload.LookupAdapter, LoadScenario and 'pgqtune scenarios'.
//
// Each adapter is a package of its own under sqlload/adapter that
// registers itself in its init (River's one-driver-per-package habit), so
// the driver, sqlload, depends on no queue library: a program that needs
// only some adapters imports only those.
package all

import (
	// Each import registers one adapter.
	_ "github.com/pgqtune/pgqtune/sqlload/adapter/pgboss"
	_ "github.com/pgqtune/pgqtune/sqlload/adapter/pgmq"
	_ "github.com/pgqtune/pgqtune/sqlload/adapter/river"
	_ "github.com/pgqtune/pgqtune/sqlload/adapter/skiplocked"
)
