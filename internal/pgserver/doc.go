// Package pgserver starts and stops a throwaway local PostgreSQL cluster.
//
// A cluster lives in its own temporary directory (data directory, private
// socket directory, server log), listens on a free TCP port on 127.0.0.1 only,
// and preloads pg_stat_statements with I/O timing switched on, so that
// pgqtune's sampler sees everything it would see on a well-configured
// production server. It is used by `pgqtune run` when no --dsn is given and by
// every test binary (one cluster per binary, started from TestMain).
//
// PostgreSQL refuses to run as root; when the caller is root the server
// processes run as the unprivileged "postgres" OS user (or "nobody" when that
// user does not exist). The postmaster is a direct child of the calling
// process and is told to shut down when its parent dies; clusters left behind
// by a process that was killed anyway are reaped by the next Start.
package pgserver
