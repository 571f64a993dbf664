// Command benchtool is the Go half of `make bench` (scripts/bench.sh): it
// starts the one throwaway cluster the benchmark shares, and runs pgqtune's
// driver (sqlload) against it with the same SQL and connections pgbench gets.
//
//	benchtool serve [--fsync] [--setting k=v ...]   # prints DSN=... BINDIR=..., runs until stdin closes or SIGTERM
//	benchtool setup --dsn DSN [--set skiplocked]     # queue tables for pgbench
//	benchtool pgbench-script --batch N --out FILE    # the skiplocked adapter's SQL as a pgbench script; -D flags on stdout
//	benchtool driver --dsn DSN --scenario FILE [--duration D --pool N --batch N --producers N --consumers N --sampler 1s]
//
// It is internal: its flags and output are for bench.sh, not for users.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchtool serve|setup|pgbench-script|driver [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "driver":
		err = driver(os.Args[2:])
	case "setup":
		err = setup(os.Args[2:])
	case "pgbench-script":
		err = pgbenchScript(os.Args[2:])
	default:
		fmt.Fprintf(os.Stderr, "benchtool: unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtool:", err)
		os.Exit(1)
	}
}
