// Package nodepkg installs a pinned npm package set (a package.json and
// package-lock.json committed in this repository, plus the small scripts
// that drive it) into the user's cache with the machine's Node and npm,
// once. pgqtune uses it for the queue libraries that only exist in Node:
// pg-boss (the pgboss adapter's setup, the real-library tests) and
// graphile-worker (the real-library tests).
package nodepkg

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Package is one pinned install.
type Package struct {
	// Name is the cache directory's name, e.g. "pgboss-10.4.2": the
	// release is part of it so that two pins never share node_modules.
	Name string
	// Files holds package.json, package-lock.json and the scripts, at its
	// root. Every regular file is written into the install directory on
	// each Install, so an edited script takes effect without a reinstall.
	Files fs.FS
	// Marker is a path inside the install directory that exists once the
	// install succeeded, e.g. "node_modules/pg-boss/package.json".
	Marker string
}

// MissingToolError says that node or npm is not on PATH.
type MissingToolError struct{ Tool string }

func (e *MissingToolError) Error() string {
	return e.Tool + " not found on PATH (install Node.js 20+ with npm)"
}

// CacheDir is where Install puts name: $XDG_CACHE_HOME/pgqtune/name (or
// the OS's user cache directory).
func CacheDir(name string) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("nodepkg: user cache dir: %w", err)
	}
	return filepath.Join(cache, "pgqtune", name), nil
}

// Install returns the directory holding p, installing it with `npm ci`
// when its marker is missing. Without node or npm the error is a
// *MissingToolError whose message is one line naming the tool.
func Install(ctx context.Context, p Package) (string, error) {
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "", &MissingToolError{Tool: tool}
		}
	}
	dir, err := CacheDir(p.Name)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, p.Marker)); err != nil {
		if err := installInto(ctx, p, dir); err != nil {
			return "", err
		}
	}
	// The scripts are rewritten each time: an install made by an older
	// checkout still runs this checkout's scripts.
	if err := WriteFiles(p.Files, dir); err != nil {
		return "", err
	}
	return dir, nil
}

// installInto runs npm ci in a private directory and renames it into
// place: test binaries running at once must never see, or write into, a
// half-made node_modules.
func installInto(ctx context.Context, p Package, dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("nodepkg: cache dir: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+p.Name+"-*")
	if err != nil {
		return fmt.Errorf("nodepkg: cache dir: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := WriteFiles(p.Files, tmp); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nodepkg: npm ci for %s: %w: %s", p.Name, err, lastLine(out))
	}
	// An empty or half-made directory left by an older layout is replaced;
	// one another process just finished is kept.
	if _, err := os.Stat(filepath.Join(dir, p.Marker)); err == nil {
		return nil
	}
	_ = os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, p.Marker)); serr == nil {
			return nil
		}
		return fmt.Errorf("nodepkg: move install of %s into place: %w", p.Name, err)
	}
	return nil
}

// writeFiles copies every regular file of files into dir, each through a
// temporary name so that a concurrent node never reads half a script.
func WriteFiles(files fs.FS, dir string) error {
	return fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == "." {
				return nil
			}
			return os.MkdirAll(filepath.Join(dir, path), 0o755)
		}
		b, err := fs.ReadFile(files, path)
		if err != nil {
			return fmt.Errorf("nodepkg: read %s: %w", path, err)
		}
		dst := filepath.Join(dir, path)
		tmp := fmt.Sprintf("%s.%d.tmp", dst, os.Getpid())
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return fmt.Errorf("nodepkg: write %s: %w", dst, err)
		}
		if err := os.Rename(tmp, dst); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("nodepkg: write %s: %w", dst, err)
		}
		return nil
	})
}

// lastLine keeps npm's error short: its last non-empty line says what failed.
func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return "(no output)"
}

// IsMissingTool reports whether err says node or npm is missing.
func IsMissingTool(err error) bool {
	var m *MissingToolError
	return errors.As(err, &m)
}
