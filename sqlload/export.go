package sqlload

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// PgbenchExporter is an optional capability: the adapter writes its own SQL
// as pgbench scripts, so a DBA can replay the load with pgbench.
type PgbenchExporter interface {
	// PgbenchScripts returns file name -> content. It must include
	// "setup.sql" (psql script creating the tables), "enqueue.sql" (one
	// transaction enqueues p.EnqueueBatch jobs) and "consume.sql" (one
	// claim of up to p.DequeueBatch jobs and their completion).
	PgbenchScripts(p *PgbenchParams) (map[string]string, error)
}

// PgbenchParams are what the scripts need from the scenario.
type PgbenchParams struct {
	Schema       string
	Queues       []string
	EnqueueBatch int
	DequeueBatch int
	PayloadBytes int
	Priorities   int
	MaxAttempts  int
}

// ExportPgbench writes the scenario's SQL as pgbench scripts into dir, with
// a run.sh that drives them at the scenario's main rate with the same
// number of connections (producers + consumers). Only adapters implementing
// PgbenchExporter can be exported.
func ExportPgbench(sc *Scenario, schema, dir string) error {
	schema = cmp.Or(schema, "pgqtune")
	f, err := LookupAdapter(sc.Adapter)
	if err != nil {
		return fmt.Errorf("sqlload: export pgbench: %w", err)
	}
	ad, err := f(context.Background(), sc.adapterConfig(nil, "", schema))
	if err != nil {
		return fmt.Errorf("sqlload: export pgbench: adapter %s: %w", sc.Adapter, err)
	}
	ex, ok := ad.(PgbenchExporter)
	if !ok {
		return fmt.Errorf("sqlload: export pgbench: adapter %s: %w", sc.Adapter, ErrUnsupported)
	}
	scripts, err := ex.PgbenchScripts(&PgbenchParams{
		Schema: schema, Queues: sc.QueueNames(), EnqueueBatch: sc.EnqueueBatch, DequeueBatch: sc.DequeueBatch,
		PayloadBytes: (sc.PayloadBytes.Min + sc.PayloadBytes.Max) / 2, Priorities: max(sc.Priorities, 1),
		MaxAttempts: max(sc.MaxAttempts, 1),
	})
	if err != nil {
		return fmt.Errorf("sqlload: export pgbench: %w", err)
	}
	for _, need := range []string{"setup.sql", "enqueue.sql", "consume.sql"} {
		if _, ok := scripts[need]; !ok {
			return fmt.Errorf("sqlload: export pgbench: adapter %s gave no %s", sc.Adapter, need)
		}
	}
	scripts["run.sh"] = sc.pgbenchRunScript()
	scripts["scenario.yaml"] = sc.YAML()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("sqlload: export pgbench: %w", err)
	}
	names := make([]string, 0, len(scripts))
	for n := range scripts {
		names = append(names, n)
	}
	sort.Strings(names)
	var errs []error
	for _, n := range names {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(n, ".sh") {
			mode = 0o755
		}
		errs = append(errs, os.WriteFile(filepath.Join(dir, n), []byte(scripts[n]), mode))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlload: export pgbench: %w", err)
	}
	return nil
}

// mainPhase is the phase whose rate the pgbench replay uses: the first
// measured one.
func (s *Scenario) mainPhase() *Phase {
	for i := range s.Phases {
		if !s.Phases[i].Warmup {
			return &s.Phases[i]
		}
	}
	return &s.Phases[0]
}

func (s *Scenario) pgbenchRunScript() string {
	ph := s.mainPhase()
	secs := int(max(ph.Duration.D().Seconds(), 1))
	rate := s.TargetRate(ph)
	rateFlag := ""
	if rate > 0 {
		// pgbench's -R counts transactions: one enqueue transaction carries
		// a batch.
		rateFlag = fmt.Sprintf(" -R %.2f", rate/float64(s.EnqueueBatch))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `#!/bin/sh
# Replays pgqtune scenario %q (phase %q, profile %s) with pgbench, using the
# same SQL as pgqtune's driver: %d producer connection(s) enqueue batches of
# %d, %d consumer connection(s) claim batches of up to %d and complete them.
# pgbench's consumers claim in a tight loop: there is no poll interval to
# sleep when the queue is empty, as pgqtune's consumers do.
# Usage: DSN='host=... dbname=...' ./run.sh   (psql and pgbench on PATH)
set -eu
: "${DSN:?set DSN to the target database}"
DIR=$(cd "$(dirname "$0")" && pwd)
psql -X -q -v ON_ERROR_STOP=1 -f "$DIR/setup.sql" "$DSN"
pgbench -n -f "$DIR/enqueue.sql" -c %d -j %d%s -T %d -P 5 "$DSN" &
producers=$!
pgbench -n -f "$DIR/consume.sql" -c %d -j %d -T %d -P 5 "$DSN"
wait "$producers"
`, s.Name, ph.Name, ph.Profile, s.Producers, s.EnqueueBatch, s.Consumers, s.DequeueBatch,
		s.Producers, s.Producers, rateFlag, secs, s.Consumers, s.Consumers, secs)
	if ph.Profile != ProfileConstant {
		fmt.Fprintf(&b, "# Note: pgbench has no %s profile; this replays a constant rate at the phase's start rate.\n", ph.Profile)
	}
	return b.String()
}

// StripComments drops full-line SQL comments and blank lines from a
// statement an adapter's PgbenchScripts embeds (pgbench scripts keep them
// out of multi-line commands).
func StripComments(sql string) string {
	var out []string
	for _, l := range strings.Split(sql, "\n") {
		if t := strings.TrimSpace(l); t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
