package pipeline

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pgqtune/pgqtune/recommendations"
	"github.com/pgqtune/pgqtune/report"
	"github.com/pgqtune/pgqtune/results"
	"github.com/pgqtune/pgqtune/runrec"
)

// ValidateOptions configure Validate.
type ValidateOptions struct {
	// Dir is the recorded run directory.
	Dir string
	// IDs name the recommendations to apply; empty means every applicable,
	// non-informational one.
	IDs []string
	// Reps is the number of repetitions per arm (at least 1).
	Reps int
	// Duration bounds each repetition: a scenario run's length (default the
	// scenario's), or an observed command's (default three times the
	// observation's length, at least a minute).
	Duration time.Duration
	// DSN is where the repetitions run; "" means a scratch cluster (scenario
	// runs only). DDL reaches it only with ApplyToTarget.
	DSN           string
	ApplyToTarget bool
	// Progress receives progress lines; nil is quiet.
	Progress io.Writer
	// CommandOutput receives a re-run workload command's stdout and stderr
	// (observed runs); nil discards them.
	CommandOutput io.Writer
}

// ValidateResult is what Validate measured for the chosen recommendations.
type ValidateResult struct {
	// Recs are the applied recommendations, each with its new validation.
	Recs   []runrec.Recommendation
	Result *recommendations.RerunResult
	Notes  []string
	// Dir holds the repetitions' own run directories and validation.json.
	Dir string
}

// Validate proves recommendations by measurement: it runs the recorded
// workload again, interleaved without and with the chosen recommendations,
// compares the arms with the rerun significance test, writes each
// validation (method "rerun") into the run's report.json and re-renders
// the report. A scenario run is re-run on a scratch cluster (or on DSN with
// ApplyToTarget); an observed run re-runs its recorded workload command on
// the observed database (DSN with ApplyToTarget), undoing each
// recommendation with its rollback between repetitions. Errors wrapping
// ErrBadInput refuse before anything is changed.
func Validate(ctx context.Context, o ValidateOptions) (*ValidateResult, error) {
	if o.Reps < 1 {
		return nil, badInputf("--reps must be at least 1, got %d", o.Reps)
	}
	if o.Duration < 0 {
		return nil, badInputf("--duration must be positive, got %s", o.Duration)
	}
	if o.DSN != "" && !o.ApplyToTarget {
		return nil, badInputf("validate applies the recommendations' DDL; it runs on a scratch cluster unless you also pass --apply-to-target to apply it to --dsn")
	}
	if o.ApplyToTarget && o.DSN == "" {
		return nil, badInputf("--apply-to-target needs --dsn")
	}
	run, err := runrec.Load(o.Dir)
	if err != nil {
		return nil, badInputf("%s is not a run directory: %v", o.Dir, err)
	}
	rep, err := report.Load(o.Dir)
	if err != nil {
		return nil, badInputf("%s has no readable report.json (run 'pgqtune analyze %s' first): %v", o.Dir, o.Dir, err)
	}
	var v validator
	switch {
	case run.Meta.Mode == "observe":
		v, err = newObservedValidator(o, run)
	case run.Meta.Mode == "run" && strings.TrimSpace(run.Meta.ScenarioYAML) != "":
		v, err = newScenarioValidator(o, run)
	default:
		err = badInputf("%s was not a 'pgqtune run' with a recorded scenario nor a 'pgqtune observe' of a workload command: there is nothing to re-run", o.Dir)
	}
	if err != nil {
		return nil, err
	}
	chosen, err := chooseRecs(rep.Recommendations, o.IDs)
	if err != nil {
		return nil, err
	}
	var skipped []string
	if len(o.IDs) == 0 {
		// Unnamed, the ones this way cannot validate are left out (and
		// said so) rather than refusing the rest.
		var keep []runrec.Recommendation
		for _, r := range chosen {
			if err := v.eligible(r); err != nil {
				skipped = append(skipped, fmt.Sprintf("%s left out: %v", r.ID, err))
				continue
			}
			keep = append(keep, r)
		}
		if len(keep) == 0 {
			return nil, badInputf("no recommendation of %s can be validated here: %s", o.Dir, strings.Join(skipped, "; "))
		}
		chosen = keep
	}
	if err := v.check(ctx, chosen); err != nil {
		return nil, err
	}

	vdir := filepath.Join(o.Dir, runrec.ValidateDir, time.Now().UTC().Format("20060102-150405"))
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	var ids []string
	for _, r := range chosen {
		ids = append(ids, r.ID)
	}
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "validate: %s, %d repetitions per arm %s\n", strings.Join(ids, ", "), o.Reps, v.where())
	}
	res := &ValidateResult{Recs: chosen, Dir: vdir, Notes: skipped}
	once, cleanup, err := v.prepare(ctx, vdir, chosen, res)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	rr, err := recommendations.Rerun(ctx, recommendations.RerunOptions{Reps: o.Reps, Run: once, Progress: o.Progress, Where: v.where()})
	if err != nil {
		return nil, err
	}
	res.Result = rr

	openLoop := recommendations.OpenLoop(run)
	for i := range rep.Recommendations {
		if slices.Contains(ids, rep.Recommendations[i].ID) {
			rep.Recommendations[i].Validation = rr.Validation(rep.Recommendations[i], o.Reps, openLoop)
		}
	}
	for i := range res.Recs {
		res.Recs[i].Validation = rr.Validation(res.Recs[i], o.Reps, openLoop)
	}
	for _, n := range res.Notes {
		if !slices.Contains(rep.Notes, n) {
			rep.Notes = append(rep.Notes, n)
		}
	}
	if err := runrec.WriteJSON(filepath.Join(vdir, runrec.ValidationFile), rr); err != nil {
		return nil, err
	}
	if err := results.Write(o.Dir, rep, run); err != nil {
		return nil, fmt.Errorf("validate: rewrite the report: %w", err)
	}
	return res, nil
}

// validator is one way of re-running a recorded workload.
type validator interface {
	// eligible says why r cannot be validated this way (nil when it can).
	eligible(r runrec.Recommendation) error
	// check refuses recommendations this way cannot validate, before
	// anything is changed.
	check(ctx context.Context, recs []runrec.Recommendation) error
	// where says where the repetitions run, for progress and the note.
	where() string
	// prepare readies the repetitions (a scratch cluster, ...) and returns
	// the function that runs one, and what to call when all are done.
	prepare(ctx context.Context, vdir string, recs []runrec.Recommendation, res *ValidateResult) (recommendations.RunOnce, func(), error)
}

// chooseRecs picks the recommendations to apply: the named ones (each must
// exist and be applicable), or every applicable, non-informational one.
func chooseRecs(all []runrec.Recommendation, ids []string) ([]runrec.Recommendation, error) {
	if len(ids) == 0 {
		var out []runrec.Recommendation
		for _, r := range all {
			if _, err := recommendations.Statements(r); err == nil && !r.Informational {
				out = append(out, r)
			}
		}
		if len(out) == 0 {
			return nil, badInputf("the report has no recommendation validate can apply (%d in total); name one with --recommendation", len(all))
		}
		return out, nil
	}
	var out []runrec.Recommendation
	for _, id := range ids {
		i := slices.IndexFunc(all, func(r runrec.Recommendation) bool { return strings.EqualFold(r.ID, id) })
		if i < 0 {
			var have []string
			for _, r := range all {
				have = append(have, r.ID)
			}
			return nil, badInputf("--recommendation %s: no such recommendation (the report has: %s)", id, strings.Join(have, ", "))
		}
		if _, err := recommendations.Statements(all[i]); err != nil {
			return nil, badInputf("--recommendation %s: %v", id, err)
		}
		out = append(out, all[i])
	}
	return out, nil
}
