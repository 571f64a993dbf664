package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/pgqtune/pgqtune/internal/pgserver"
)

// serve starts a throwaway cluster, prints how to reach it and keeps it up
// until stdin reaches EOF or a signal arrives, so that a shell script can own
// its lifetime with a coprocess or a fifo and it never outlives the script.
func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fsync := fs.Bool("fsync", true, "keep fsync on (benchmarks measure durable commits)")
	var settings multiFlag
	fs.Var(&settings, "setting", "extra postgresql.conf setting name=value (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := pgserver.Options{Fsync: *fsync, Settings: map[string]string{}}
	for _, s := range settings {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return fmt.Errorf("serve: --setting %q is not name=value", s)
		}
		opts.Settings[k] = v
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := pgserver.Start(ctx, opts)
	if err != nil {
		return fmt.Errorf("serve: start cluster: %w", err)
	}
	defer srv.Stop()
	fmt.Printf("DSN=%s\nBINDIR=%s\nPORT=%d\nDATABASE=%s\nREADY=1\n", srv.DSN(""), srv.BinDir(), srv.Port(), srv.Database())
	eof := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(eof)
	}()
	select {
	case <-ctx.Done():
	case <-eof:
	}
	return nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
