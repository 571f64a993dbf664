// Command pgqtune drives or observes a Postgres-backed job queue, finds the
// moments its throughput dropped, names the database-level cause of each, and
// writes tuning recommendations as SQL. See `pgqtune --help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/pgqtune/pgqtune/internal/connstr"
)

// Exit codes.
const (
	exitOK         = 0
	exitFailure    = 1 // the command ran and the answer is "no" (e.g. a regression)
	exitUsage      = 2 // bad input: nothing was changed
	exitInterrupt  = 130
	exitTerminated = 143
)

// exitError carries an exit code up to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErrorf is a bad-input error: one line, exit code 2.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// usageError wraps err as bad input.
func usageError(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: exitUsage, err: err}
}

// commands are added by each subcommand's file (one file per subcommand).
var commands []func() *cobra.Command

func register(f func() *cobra.Command) { commands = append(commands, f) }

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "pgqtune",
		Short: "Find why a Postgres-backed job queue slows down, and what to change",
		Long: `pgqtune drives a job-queue workload on Postgres (or watches one that is already
running), samples pg_stat_statements, pg_locks, pg_stat_activity, WAL, checkpoint
and vacuum statistics every second, finds the moments throughput dropped, names
the database-level cause of each drop with evidence, and writes tuning
recommendations as SQL a DBA can apply.

With no --dsn, 'pgqtune run' starts a throwaway local Postgres, runs there and
removes it afterwards. The DSN can also come from PGQTUNE_DSN or the usual PG*
environment variables.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// --version prints the same line as `pgqtune version`.
		Version: versionLine(),
	}
	root.SetVersionTemplate("{{.Version}}")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		if c.HasParent() {
			return usageErrorf("%s: %s (see '%s --help')", c.Name(), flagError(err), c.CommandPath())
		}
		return usageErrorf("%s (see '%s --help')", flagError(err), c.CommandPath())
	})
	for _, f := range commands {
		c := f()
		c.SetFlagErrorFunc(root.FlagErrorFunc())
		namedArgs(c)
		root.AddCommand(c)
	}
	// `pgqtune completion bash|zsh|fish|powershell` is cobra's own.
	root.CompletionOptions.HiddenDefaultCmd = false
	return root
}

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the CLI and returns the process exit code.
func run(args []string) int {
	ctx, stop := signalContext()
	defer stop()
	root := newRoot()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	msg := oneLine(err.Error())
	var le *listError
	if errors.As(err, &le) {
		msg = le.Error() // a list of reasons keeps its lines
	}
	// Each command redacts what it knows; this is the last net for any DSN
	// the command line or the environment gave.
	msg = connstr.Redact(msg, dsnsOf(args)...)
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.code != exitOK {
			fmt.Fprintln(os.Stderr, "pgqtune:", msg)
		}
		return ee.code
	}
	// cobra's own argument errors (unknown command, wrong arg count) are
	// bad input too.
	if isCobraUsage(err) {
		fmt.Fprintln(os.Stderr, "pgqtune:", msg)
		return exitUsage
	}
	fmt.Fprintln(os.Stderr, "pgqtune:", msg)
	return exitFailure
}

// dsnsOf returns the connection strings a command line may carry (the
// values of --dsn and --store, and any argument of a workload command after
// "--" that holds one) and those of the environment, for connstr.Redact.
func dsnsOf(args []string) []string {
	out := []string{os.Getenv("PGQTUNE_DSN"), os.Getenv("PGQTUNE_RESULTS_DSN")}
	for i, a := range args {
		if a == "--" {
			for _, c := range args[i+1:] {
				if strings.Contains(c, "://") || strings.Contains(c, "password=") {
					out = append(out, c)
				}
			}
			break
		}
		for _, flag := range []string{"--dsn", "--store"} {
			if v, ok := strings.CutPrefix(a, flag+"="); ok {
				out = append(out, v)
			} else if a == flag && i+1 < len(args) {
				out = append(out, args[i+1])
			}
		}
	}
	return out
}

func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "requires at most", "received ", "invalid argument"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, "\r", " ")
	return strings.ReplaceAll(s, "\n", " | ")
}

// signalContext is cancelled on SIGINT or SIGTERM; the cause records which,
// so commands can exit 130 or 143 after writing what they have.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		select {
		case sig := <-ch:
			cancel(&signalError{sig: sig.(syscall.Signal)})
		case <-ctx.Done():
		}
	}()
	return ctx, func() { signal.Stop(ch); cancel(nil) }
}

// signalError is the cancel cause when a signal arrived.
type signalError struct{ sig syscall.Signal }

func (e *signalError) Error() string { return "interrupted by " + e.sig.String() }

// interruptedCode returns 130/143 when ctx was cancelled by a signal, else 0.
func interruptedCode(ctx context.Context) int {
	var se *signalError
	if errors.As(context.Cause(ctx), &se) {
		if se.sig == syscall.SIGTERM {
			return exitTerminated
		}
		return exitInterrupt
	}
	return 0
}
