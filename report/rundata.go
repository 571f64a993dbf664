package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pgqtune/pgqtune/compare"
	"github.com/pgqtune/pgqtune/runrec"
)

// LoadRunDir reads dir's report.json (validated) and, when present, its
// run.json and recorded series.
func LoadRunDir(dir string) (*compare.RunData, error) {
	rep, err := Load(dir)
	if err != nil {
		return nil, err
	}
	d := &compare.RunData{Dir: dir, Report: rep}
	if _, err := os.Stat(filepath.Join(dir, runrec.MetaFile)); err == nil {
		run, err := runrec.Load(dir)
		if err != nil {
			return nil, fmt.Errorf("report: load run %s: %w", dir, err)
		}
		d.Run = run
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("report: load run %s: %w", dir, err)
	}
	return d, nil
}
