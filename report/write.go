package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pgqtune/pgqtune/compare"
	"github.com/pgqtune/pgqtune/runrec"
)

// Write renders rep into dir as report.json, report.md and report.html, each
// written atomically. report.json is validated against the embedded schema
// before anything is written, so an invalid report leaves the directory as
// it was. run supplies the recorded series for the charts; it may be nil, in
// which case the charts use the report's own throughput series only. The
// report compares the run with no other: WriteWith takes that comparison.
func Write(dir string, rep *runrec.Report, run *runrec.Run) error {
	return WriteWith(dir, rep, run, Options{})
}

// Options are what a rendering shows beside the report itself.
type Options struct {
	// Previous is the comparison with an earlier run of the same scenario
	// (the "compared with the previous run" section); nil leaves the
	// section out. Rendering never looks for that run itself:
	// results.Previous finds it under a results root.
	Previous *compare.Comparison
}

// WriteWith is Write with options.
func WriteWith(dir string, rep *runrec.Report, run *runrec.Run, opts Options) error {
	if rep == nil {
		return errors.New("report: write: nil report")
	}
	norm := runrec.Normalize(rep)
	js, err := MarshalJSON(norm)
	if err != nil {
		return err
	}
	var md, html bytes.Buffer
	v := buildView(norm, run, opts)
	if err := renderMarkdown(&md, v); err != nil {
		return fmt.Errorf("report: render %s: %w", runrec.ReportMD, err)
	}
	if err := renderHTML(&html, v); err != nil {
		return fmt.Errorf("report: render %s: %w", runrec.ReportHTML, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: create %s: %w", dir, err)
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{runrec.ReportJSON, js}, {runrec.ReportMD, md.Bytes()}, {runrec.ReportHTML, html.Bytes()}} {
		path := filepath.Join(dir, f.name)
		if err := runrec.WriteFileAtomic(path, f.data); err != nil {
			return fmt.Errorf("report: write: %w", err)
		}
		// The temp file behind the atomic write is private; a report is
		// meant to be shared.
		if err := os.Chmod(path, 0o644); err != nil {
			return fmt.Errorf("report: write: %w", err)
		}
	}
	return nil
}

// MarshalJSON encodes rep as report.json (indented, trailing newline) after
// normalizing it, and validates the result against the schema.
func MarshalJSON(rep *runrec.Report) ([]byte, error) {
	b, err := json.MarshalIndent(runrec.Normalize(rep), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("report: encode %s: %w", runrec.ReportJSON, err)
	}
	b = append(b, '\n')
	if err := runrec.ValidateJSON(b); err != nil {
		return nil, fmt.Errorf("report: %s: %w", runrec.ReportJSON, err)
	}
	return b, nil
}

// Load reads dir/report.json and validates it against the schema.
func Load(dir string) (*runrec.Report, error) {
	path := filepath.Join(dir, runrec.ReportJSON)
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if fi, serr := os.Stat(dir); serr != nil || !fi.IsDir() {
			return nil, &LoadError{Msg: fmt.Sprintf("%s is not a directory", dir), Err: err}
		}
		return nil, &LoadError{Msg: fmt.Sprintf("%s has no report.json: not a pgqtune run directory, or its run never got to analysis (try 'pgqtune analyze %s')", dir, dir), Err: err}
	case errors.Is(err, os.ErrPermission):
		return nil, &LoadError{Msg: fmt.Sprintf("cannot read %s: permission denied", path), Err: err}
	case err != nil:
		return nil, &LoadError{Msg: fmt.Sprintf("cannot read %s", path), Err: err}
	}
	if err := runrec.ValidateJSON(b); err != nil {
		return nil, &LoadError{Msg: fmt.Sprintf("%s is not a valid pgqtune report: %v", path, err), Err: err}
	}
	var rep runrec.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, &LoadError{Msg: fmt.Sprintf("%s is not a valid pgqtune report: %v", path, err), Err: err}
	}
	return &rep, nil
}

// LoadError is why a run directory's report could not be read, said for
// the person who named the directory; Err keeps the cause for errors.Is.
type LoadError struct {
	Msg string
	Err error
}

func (e *LoadError) Error() string { return e.Msg }
func (e *LoadError) Unwrap() error { return e.Err }
