package layout_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

// liveRecommendationFiles are the only files of recommendations that talk
// to a database: reading a catalog, checking an index under hypopg or on a
// scratch copy, matching a scratch database to a run, applying changes.
// Everything else there (the rules, the facts they read, Recommend) is pure
// and tested on recorded snapshots; a rule that needs the database goes
// through one of these.
var liveRecommendationFiles = map[string]bool{
	"apply.go":            true,
	"catalog_snapshot.go": true,
	"hypopg.go":           true,
	"replay.go":           true,
	"scratch.go":          true,
}

func TestRecommendationRulesArePure(t *testing.T) {
	root := moduleRoot(t)
	dir := filepath.Join(root, "recommendations")
	pure := 0
	err := walkSources(dir, func(path string) error {
		if filepath.Dir(path) != dir || liveRecommendationFiles[filepath.Base(path)] {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		pure++
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if under("github.com/jackc/pgx/v5")(p) || p == "database/sql" {
				t.Errorf("recommendations/%s imports %s: only %v talk to a database; rules stay pure",
					filepath.Base(path), p, keys(liveRecommendationFiles))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if pure < 10 {
		t.Fatalf("only %d pure files checked in recommendations/: the walk missed them", pure)
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
