package layout_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/pgqtune/pgqtune/"

// rule is one import rule: a non-test file for which from is true (given
// its path from the module root, slash-separated) must not import a
// package for which to is true. under(...) matches a file by its
// directory's prefix.
type rule struct {
	why  string
	from func(file string) bool
	to   func(path string) bool
}

func under(prefixes ...string) func(string) bool {
	return func(p string) bool {
		for _, x := range prefixes {
			if p == x || strings.HasPrefix(p, x+"/") {
				return true
			}
		}
		return false
	}
}

var rules = []rule{
	{"analyze, sqlload and the sampler import nothing under internal/", under("analyze", "sqlload", "sampler"),
		func(p string) bool {
			return under("internal")(strings.TrimPrefix(p, module)) && strings.HasPrefix(p, module)
		}},
	{"only cmd/ and internal/ import internal/pipeline", func(f string) bool { return !under("cmd", "internal")(f) },
		func(p string) bool { return under(module + "internal/pipeline")(p) }},
	{"units imports no pgqtune package", under("units"),
		func(p string) bool { return strings.HasPrefix(p, module) }},
	{"compare computes, it neither renders (report) nor looks runs up (results), and imports nothing under internal/",
		under("compare"),
		func(p string) bool { return under(module+"report", module+"results", module+"internal")(p) }},
	{"runrec is the contract every layer reads (run directory, report.json, its schema and Normalize): it imports none of the layers above it, so none of them is needed to read or check a run",
		under("runrec"),
		func(p string) bool {
			return under(module+"report", module+"results", module+"compare", module+"analyze",
				module+"recommendations", module+"sqlload", module+"internal")(p)
		}},
	{"report only renders: finding the previous run is results', and it imports nothing under internal/",
		under("report"),
		func(p string) bool { return under(module+"results", module+"internal")(p) }},
	{"River is one adapter's dependency: only sqlload/adapter/river (and the real-library suite, internal/reallibs) imports it",
		func(f string) bool { return !under("sqlload/adapter/river", "internal/reallibs")(f) },
		func(p string) bool { return under("github.com/riverqueue")(p) }},
	{"the driver depends on no adapter: sqlload's own files import nothing under sqlload/adapter",
		func(f string) bool { return path.Dir(f) == "sqlload" },
		func(p string) bool { return under(module + "sqlload/adapter")(p) }},
	{"recommendations' rules stay pure: only its files that talk to a database (liveRecommendationFiles) import pgx",
		func(f string) bool { return path.Dir(f) == "recommendations" && !liveRecommendationFiles[path.Base(f)] },
		func(p string) bool { return under("github.com/jackc/pgx/v5")(p) || p == "database/sql" }},
	{"internal/synthrun is test support: only tests import it", func(f string) bool { return !under("internal/synthrun")(f) },
		func(p string) bool { return under(module + "internal/synthrun")(p) }},
}

func TestImportRules(t *testing.T) {
	root := moduleRoot(t)
	checked := 0
	err := walkSources(root, func(path string) error {
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		file := filepath.ToSlash(rel)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			for _, r := range rules {
				if r.from(file) && r.to(p) {
					t.Errorf("%s imports %s: %s", rel, p, r.why)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("only %d files checked: the walk missed the module", checked)
	}
}

// moduleRoot is the directory holding go.mod, upwards from the test's
// working directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = up
	}
}

// walkSources calls fn with every non-test Go file of the module under
// root, skipping hidden directories, testdata and node_modules.
func walkSources(root string, fn func(path string) error) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		return fn(path)
	})
}
