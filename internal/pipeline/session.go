package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sampler"
)

// session is the skeleton Run and Observe share: a run directory proved
// writable before the database is touched, run.json, the sampler, the
// recorder of samples and ticks, and at the end run.json again and the
// conclusion (catalog, analysis, reports, store). What differs between
// them (a driven workload or a watched one) stays in run.go and observe.go.
//
// Its steps are called in order: newSession, startSampler, saveMeta,
// openRecorder, then stopped, closeMeta and conclude. The caller defers
// discardUnrecorded, sampler.Close and rec.close as each is opened, so
// they unwind in the reverse order around its own resources (a throwaway
// cluster outlives the sampler's connections).
type session struct {
	dir     string
	started time.Time
	meta    runrec.Meta
	sampler *sampler.Sampler
	rec     *recorder
	// bg outlives a cancelled ctx: after Ctrl-C the sampler takes its last
	// tick, the server is still stopped and the report still written.
	bg       context.Context
	discard  func()
	recorded bool
}

// newSession names the run (its start time and suffix), creates its
// directory (out, or one under runrec.DefaultRoot) and starts run.json's
// metadata with the fields every mode sets.
func newSession(ctx context.Context, mode, suffix, out string, interval time.Duration) (*session, error) {
	started := time.Now().UTC()
	id := started.Format("20060102-150405") + "-" + suffix
	dir := cmp.Or(out, filepath.Join(runrec.DefaultRoot, id))
	discard, err := prepareDir(dir)
	if err != nil {
		return nil, err
	}
	return &session{
		dir:     dir,
		started: started,
		meta: runrec.Meta{
			ID:               id,
			Mode:             mode,
			StartedAt:        started,
			SamplerIntervalS: interval.Seconds(),
		},
		bg:      context.WithoutCancel(ctx),
		discard: discard,
	}, nil
}

// discardUnrecorded removes the run directory when nothing was recorded in
// it (the session failed before run.json was written).
func (s *session) discardUnrecorded() {
	if !s.recorded {
		s.discard()
	}
}

// startSampler starts the sampler and records what it learned of the
// server and its queues; version is the connection check's, kept when the
// sampler could not read one.
func (s *session) startSampler(ctx context.Context, cfg sampler.Config, version string) error {
	sp, err := sampler.New(ctx, cfg)
	if err != nil {
		return err
	}
	s.sampler = sp
	info := sp.Server()
	s.meta.ServerVersion = cmp.Or(info.Version, version)
	s.meta.ServerVersionNum = info.VersionNum
	s.meta.Settings = info.Settings
	s.meta.QueueTables = sp.QueueTables()
	s.meta.Libraries = sp.Libraries()
	return nil
}

// saveMeta writes run.json. From the first write on the directory is a
// recorded run and is kept whatever happens next.
func (s *session) saveMeta() error {
	if err := runrec.WriteJSON(filepath.Join(s.dir, runrec.MetaFile), &s.meta); err != nil {
		return err
	}
	s.recorded = true
	return nil
}

// openRecorder opens samples.jsonl and workload.jsonl (and the metrics
// endpoint when metricsAddr is set).
func (s *session) openRecorder(metricsAddr string) error {
	rec, err := newRecorder(s.dir, metricsAddr)
	if err != nil {
		return err
	}
	s.rec = rec
	return nil
}

// stopped starts the outcome once sampling has ended. A run directory that
// refused a write ends the session with an error naming what stopped
// (nothing more is written to it); a cancelled ctx marks the outcome
// interrupted.
func (s *session) stopped(ctx context.Context, what string) (*Outcome, error) {
	out := &Outcome{Dir: s.dir}
	if werr := s.rec.failed(); werr != nil {
		return out, fmt.Errorf("cannot write the run directory, %s: %w", what, werr)
	}
	if ctx.Err() != nil {
		out.Interrupted = "interrupted: " + context.Cause(ctx).Error()
	}
	return out, nil
}

// closeMeta records the end of the session in run.json's metadata (not
// yet written): when and whether it was interrupted, the sampler's last
// decision of libraries and statement roles (statements may first appear
// late), its notes, and why it stopped early if it did (samplerErr other
// than a cancellation; passwords in dsn masked).
func (s *session) closeMeta(out *Outcome, samplerErr error, dsn string) {
	s.meta.EndedAt = time.Now().UTC()
	s.meta.Interrupted = out.Interrupted
	s.meta.Libraries, s.meta.StatementRoles = s.sampler.Libraries(), s.sampler.StatementRoles()
	s.meta.Notes = append(s.meta.Notes, s.sampler.Notes()...)
	if samplerErr != nil && !errors.Is(samplerErr, context.Canceled) {
		s.meta.Notes = append(s.meta.Notes, "sampler stopped early: "+redact(samplerErr.Error(), dsn))
	}
}

// conclude writes the final run.json, then the catalog, analysis, reports
// and store (see the package function conclude), and puts the report in
// out. hypoDSN empty means no hypopg checks.
func (s *session) conclude(out *Outcome, catalogDSN, hypoDSN, store string) error {
	if err := s.saveMeta(); err != nil {
		return err
	}
	rep, run, err := conclude(s.bg, s.dir, catalogDSN, hypoDSN, store, s.meta.QueueTables)
	if err != nil {
		return err
	}
	s.rec.findings(len(rep.Findings))
	out.Report, out.Run = rep, run
	return nil
}

// prepareDir creates the run directory and proves it is writable before
// anything touches the database. The returned discard removes the
// directories it created while they are still empty: a run that fails
// before recording anything (a mistyped DSN) leaves no empty run behind.
func prepareDir(dir string) (discard func(), err error) {
	var made []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || d == filepath.Dir(d) {
			break
		}
		made = append(made, d)
	}
	discard = func() {
		for _, d := range made {
			if os.Remove(d) != nil {
				return
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return discard, badInputf("cannot create run directory %s: %v", dir, errors.Unwrap(err))
	}
	probe := filepath.Join(dir, ".pgqtune-write-test")
	if err := os.WriteFile(probe, []byte("ok"), 0o644); err != nil {
		discard()
		return discard, badInputf("run directory %s is not writable: %v", dir, errors.Unwrap(err))
	}
	os.Remove(probe)
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		for _, e := range entries {
			if e.Name() == runrec.MetaFile {
				return discard, badInputf("run directory %s already holds a run; choose an empty --out", dir)
			}
		}
	}
	return discard, nil
}
