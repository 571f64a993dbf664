package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/recommendations"
	"github.com/pgqtune/pgqtune/runrec"
)

// observedValidator re-runs the workload command an observation recorded,
// on the observed database itself: each "with" repetition applies the
// recommendations and undoes them with their rollbacks when the command
// has finished, and each repetition is measured from the database side by
// the same sampler and per-second series as observe.
type observedValidator struct {
	o   ValidateOptions
	run *runrec.Run
	cmd *runrec.Command
	// env is the re-run command's environment: validate's own, with --dsn
	// in each variable that held the observed database's DSN and is unset
	// here.
	env []string
	// filled names those variables.
	filled []string
}

func newObservedValidator(o ValidateOptions, run *runrec.Run) (*observedValidator, error) {
	c := run.Meta.Command
	if c == nil || len(c.Args) == 0 {
		return nil, badInputf("%s observed a workload without a recorded command (observe was not given -- COMMAND ARGS...): there is nothing to re-run; observe again with the workload command after --", o.Dir)
	}
	if o.DSN == "" || !o.ApplyToTarget {
		return nil, badInputf("%s is an observed run: validate re-runs its command on the observed database and applies the recommendations there, which needs --dsn DSN --apply-to-target", o.Dir)
	}
	if rec, given := hostOf(run.Meta.Target), hostOf(Describe(o.DSN)); rec != given {
		return nil, badInputf("--dsn names %s but %s observed %s: validate re-runs the command against the database it was observed on", given, o.Dir, rec)
	}
	args := slices.Clone(c.Args)
	if c.PasswordMasked {
		pw := dsnPassword(o.DSN)
		if pw == "" {
			return nil, badInputf("the recorded command had a password masked (%s): give one in --dsn or PGPASSWORD so validate can put it back", runrec.PasswordMask)
		}
		for i := range args {
			args[i] = strings.ReplaceAll(args[i], runrec.PasswordMask, pw)
		}
	}
	cp := *c
	cp.Args = args
	env, filled, err := commandEnv(os.Environ(), c.DSNEnv, o.DSN)
	if err != nil {
		return nil, err
	}
	return &observedValidator{o: o, run: run, cmd: &cp, env: env, filled: filled}, nil
}

// commandEnv is the environment the recorded command is re-run with: env,
// with dsn put in each of dsnEnv (the variables that held the observed
// database's DSN when it was observed; only their names were recorded)
// that env leaves unset or empty. One that env sets to another database is
// refused: the command would load a database other than the one validate
// changes and measures.
func commandEnv(env, dsnEnv []string, dsn string) (out, filled []string, err error) {
	out = slices.Clone(env)
	for _, name := range dsnEnv {
		i := slices.IndexFunc(out, func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
		if i >= 0 && out[i] != name+"=" {
			if value := strings.TrimPrefix(out[i], name+"="); !sameDatabase(value, dsn) {
				return nil, nil, badInputf("%s held the observed database's DSN when the command was observed, but validate's environment sets it to %s while --dsn names %s: the re-run command would load another database than the one validate changes; unset %s (validate then gives the command --dsn in it) or point it at %s",
					name, hostOf(Describe(value)), hostOf(Describe(dsn)), name, hostOf(Describe(dsn)))
			}
			continue
		}
		if i >= 0 {
			out = slices.Delete(out, i, i+1)
		}
		out = append(out, name+"="+dsn)
		filled = append(filled, name)
	}
	return out, filled, nil
}

// hostOf drops the user from Describe's "user@host:port/db".
func hostOf(target string) string {
	if i := strings.LastIndex(target, "@"); i >= 0 {
		return target[i+1:]
	}
	return target
}

// dsnPassword is the password validate connects with: the DSN's, or
// PGPASSWORD.
func dsnPassword(dsn string) string {
	if cfg, err := pgx.ParseConfig(dsn); err == nil && cfg.Password != "" {
		return cfg.Password
	}
	return os.Getenv("PGPASSWORD")
}

// eligible accepts a recommendation whose rollback undoes it.
func (v *observedValidator) eligible(r runrec.Recommendation) error {
	_, err := recommendations.RollbackOf(r)
	return err
}

// check refuses what could not be put back between repetitions: a
// recommendation without a rollback that undoes it, and an index that
// already exists (its rollback would drop an index the user has).
func (v *observedValidator) check(ctx context.Context, recs []runrec.Recommendation) error {
	var indexes []string
	for _, r := range recs {
		if _, err := recommendations.RollbackOf(r); err != nil {
			return badInputf("--recommendation %s cannot be validated on a live target: %v", r.ID, err)
		}
		ch, err := recommendations.RecChanges(r)
		if err != nil {
			return badInputf("--recommendation %s: %v", r.ID, err)
		}
		for _, c := range ch {
			if c.Index != "" {
				indexes = append(indexes, c.Index)
			}
		}
	}
	if len(indexes) == 0 {
		return nil
	}
	conn, err := pgx.Connect(ctx, readOnlyDSN(v.o.DSN))
	if err != nil {
		return badInputf("connect to %s: %s", Describe(v.o.DSN), rootCause(err, v.o.DSN))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, ix := range indexes {
		var exists bool
		if err := conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", ix).Scan(&exists); err != nil {
			return fmt.Errorf("validate: look up index %s: %w", ix, err)
		}
		if exists {
			return badInputf("index %s already exists on %s: the recommendation looks applied already, and its rollback would drop it", ix, Describe(v.o.DSN))
		}
	}
	return nil
}

func (v *observedValidator) where() string {
	// The recorded arguments (passwords masked), shortened: the note
	// lands in report.md.
	cmd := strings.Join(v.run.Meta.Command.Args, " ")
	if r := []rune(cmd); len(r) > 100 {
		cmd = string(r[:99]) + "…"
	}
	return fmt.Sprintf("on the observed database %s, re-running `%s`", Describe(v.o.DSN), cmd)
}

func (v *observedValidator) prepare(ctx context.Context, vdir string, recs []runrec.Recommendation, res *ValidateResult) (recommendations.RunOnce, func(), error) {
	o, meta := v.o, v.run.Meta
	var undo []runrec.Recommendation
	for _, r := range recs {
		rb, err := recommendations.RollbackOf(r)
		if err != nil {
			return nil, nil, badInput(err)
		}
		undo = append(undo, rb)
	}
	if len(v.filled) > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("the workload command read the observed database's DSN from %s: validate gave it --dsn there", strings.Join(v.filled, ", ")))
	}
	var missing []string
	for _, name := range v.cmd.EnvNames {
		if _, ok := os.LookupEnv(name); !ok && !slices.Contains(v.filled, name) {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("the workload command had %d environment variable(s) validate's environment lacks: %s", len(missing), strings.Join(missing, ", ")))
	}
	bound := o.Duration
	if bound == 0 && !meta.EndedAt.IsZero() {
		bound = max(3*meta.EndedAt.Sub(meta.StartedAt), time.Minute)
	}
	interval := time.Duration(max(meta.SamplerIntervalS, 0.1) * float64(time.Second))
	if meta.SamplerIntervalS == 0 {
		interval = time.Second
	}
	output := o.CommandOutput
	if output == nil {
		output = io.Discard
	}

	once := func(ctx context.Context, arm string, rep int) (m *recommendations.Measurement, err error) {
		if arm == recommendations.ArmWith {
			restart, aerr := recommendations.Apply(ctx, o.DSN, recs)
			// Undo even a half-applied set, and even after Ctrl-C: the
			// target must be left as it was found.
			defer func() {
				if _, rerr := recommendations.Apply(context.WithoutCancel(ctx), o.DSN, undo); rerr != nil {
					err = errors.Join(err, fmt.Errorf("validate: ROLL BACK FAILED, the target keeps the change; run the rollback by hand: %s: %w", rollbackSQL(undo), rerr))
				}
			}()
			if aerr != nil {
				return nil, fmt.Errorf("validate: apply on %s: %w", Describe(o.DSN), aerr)
			}
			if restart {
				return nil, badInputf("a changed setting needs a server restart, which validate does not do on a live target: validate it on a scratch cluster or restart by hand")
			}
		}
		out, err := Observe(ctx, ObserveOptions{
			DSN:         o.DSN,
			Duration:    bound,
			Out:         filepath.Join(vdir, fmt.Sprintf("%d-%s", rep, arm)),
			QueueTables: meta.QueueTables,
			Command:     v.cmd.Args,
			CommandDir:  v.cmd.Dir,
			CommandEnv:  v.env,
			Interval:    interval,
			Stdout:      output,
			Stderr:      output,
		})
		if err != nil {
			return nil, err
		}
		if out.Interrupted != "" {
			return nil, fmt.Errorf("repetition interrupted: %s", out.Interrupted)
		}
		mm := recommendations.MeasureObserved(out.Run)
		mm.Dir = out.Dir
		if mm.JobsPerS == 0 {
			return nil, fmt.Errorf("validate: the sampler counted no completed jobs while %q ran (see %s)", v.cmd.Args[0], out.Dir)
		}
		return &mm, nil
	}
	return once, func() {}, nil
}

// rollbackSQL is the rollbacks' SQL on one line, for a message.
func rollbackSQL(undo []runrec.Recommendation) string {
	var parts []string
	for _, r := range undo {
		parts = append(parts, strings.Join(strings.Fields(r.SQL), " "))
	}
	return strings.Join(parts, " ")
}
