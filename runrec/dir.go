package runrec

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// DefaultRoot is the results root, the directory holding run directories,
// when no --out or --root is given: run and observe write under it, history
// lists it, compare looks up bare run ids in it.
const DefaultRoot = "pgqtune-runs"

// File names inside a run directory.
const (
	MetaFile     = "run.json"
	WorkloadFile = "workload.jsonl"
	SamplesFile  = "samples.jsonl"
	ReportJSON   = "report.json"
	ReportMD     = "report.md"
	ReportHTML   = "report.html"
	// ValidateDir holds validate's sessions, one directory each, with the
	// repetitions' own run directories and ValidationFile.
	ValidateDir    = "validate"
	ValidationFile = "validation.json"
)

// Appender appends JSON lines to a file, one write and one fsync per line,
// so that a crash loses at most the line in flight. It is safe for
// concurrent use.
type Appender struct {
	mu   sync.Mutex
	f    *os.File
	path string
	buf  bytes.Buffer
	sync bool
}

// NewAppender opens (creating or appending to) path. With sync set each line
// is fsynced.
func NewAppender(path string, sync bool) (*Appender, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("runrec: open %s: %w", path, err)
	}
	return &Appender{f: f, path: path, sync: sync}, nil
}

// Append writes v as one JSON line.
func (a *Appender) Append(v any) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return fmt.Errorf("runrec: append to %s: closed", a.path)
	}
	a.buf.Reset()
	enc := json.NewEncoder(&a.buf)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("runrec: encode line for %s: %w", a.path, err)
	}
	if _, err := a.f.Write(a.buf.Bytes()); err != nil {
		return fmt.Errorf("runrec: append to %s: %w", a.path, err)
	}
	if a.sync {
		if err := a.f.Sync(); err != nil {
			return fmt.Errorf("runrec: sync %s: %w", a.path, err)
		}
	}
	return nil
}

// Close closes the file.
func (a *Appender) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return nil
	}
	err := a.f.Close()
	a.f = nil
	if err != nil {
		return fmt.Errorf("runrec: close %s: %w", a.path, err)
	}
	return nil
}

// ReadLines decodes every complete JSON line of path into values made by fn.
// A torn or corrupt final line (a crash mid-write) is skipped; a corrupt line
// elsewhere is an error naming the line. A missing file yields no values.
func ReadLines[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("runrec: open %s: %w", path, err)
	}
	defer f.Close()
	var out []T
	r := bufio.NewReaderSize(f, 1<<20)
	var pendingErr error
	for line := 1; ; line++ {
		b, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(b)) > 0 {
			if pendingErr != nil {
				return nil, pendingErr
			}
			var v T
			if jerr := json.Unmarshal(b, &v); jerr != nil {
				pendingErr = fmt.Errorf("runrec: %s:%d: %w", path, line, jerr)
			} else {
				out = append(out, v)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("runrec: read %s: %w", path, err)
		}
	}
	// pendingErr on the last line is a torn write: tolerated.
	return out, nil
}

// WriteJSON writes v to path atomically (temp file + rename), indented.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("runrec: encode %s: %w", filepath.Base(path), err)
	}
	return WriteFileAtomic(path, append(b, '\n'))
}

// WriteFileAtomic writes data to path through a temp file and a rename, so
// readers never see a half-written file.
func WriteFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("runrec: write %s: %w", path, err)
	}
	_, werr := tmp.Write(data)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("runrec: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("runrec: write %s: %w", path, err)
	}
	return nil
}

// ReadJSON reads path into v.
func ReadJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("runrec: read %s: %w", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("runrec: parse %s: %w", path, err)
	}
	return nil
}

// Run is a run directory loaded into memory.
type Run struct {
	Dir      string
	Meta     Meta
	Workload []WorkloadTick
	Samples  []Sample
}

// Load reads a run directory.
func Load(dir string) (*Run, error) {
	r := &Run{Dir: dir}
	if err := ReadJSON(filepath.Join(dir, MetaFile), &r.Meta); err != nil {
		return nil, fmt.Errorf("runrec: load run %s: %w", dir, err)
	}
	var err error
	if r.Workload, err = ReadLines[WorkloadTick](filepath.Join(dir, WorkloadFile)); err != nil {
		return nil, err
	}
	if r.Samples, err = ReadLines[Sample](filepath.Join(dir, SamplesFile)); err != nil {
		return nil, err
	}
	r.fillRoles()
	return r, nil
}

// StatementTexts returns queryid -> normalized text from the samples (texts
// are recorded only on first appearance).
func (r *Run) StatementTexts() map[int64]string {
	m := map[int64]string{}
	for i := range r.Samples {
		for _, s := range r.Samples[i].Statements {
			if s.Text != "" {
				m[s.QueryID] = s.Text
			}
		}
	}
	return m
}
