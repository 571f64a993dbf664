package layout_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/runrec"
)

// TestCauseCodesSpelledOnce fails when a cause code is written as a string
// literal in a non-test Go file other than runrec/causes.go: every other
// file must use the runrec constants, so a renamed or added code cannot be
// missed somewhere. "unknown" is also an ordinary word (a lock state, an
// unknown type), so it counts only where it is compared with, or assigned
// to, a Cause field.
func TestCauseCodesSpelledOnce(t *testing.T) {
	codes := map[string]bool{}
	for _, c := range runrec.AllCauses() {
		codes[c] = true
	}
	root := moduleRoot(t)
	own := filepath.Join(root, "runrec", "causes.go")
	var bad []string
	err := walkSources(root, func(path string) error {
		if path == own {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		causeCtx := causeContexts(f)
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			v, err := strconv.Unquote(lit.Value)
			if err != nil || !codes[v] {
				return true
			}
			if v == runrec.CauseUnknown && !causeCtx[lit] {
				return true
			}
			rel, _ := filepath.Rel(root, path)
			bad = append(bad, rel+":"+strconv.Itoa(fset.Position(lit.Pos()).Line)+": "+lit.Value)
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Errorf("cause codes spelled outside runrec/causes.go (use the runrec.Cause* constants):\n%s", strings.Join(bad, "\n"))
	}
}

// causeContexts returns the string literals of f that sit where a cause code
// goes: `Cause: "x"`, `x.Cause == "x"`, `x.Cause = "x"`.
func causeContexts(f *ast.File) map[*ast.BasicLit]bool {
	out := map[*ast.BasicLit]bool{}
	isCause := func(e ast.Expr) bool {
		switch e := e.(type) {
		case *ast.Ident:
			return e.Name == "Cause"
		case *ast.SelectorExpr:
			return e.Sel.Name == "Cause"
		}
		return false
	}
	mark := func(e ast.Expr) {
		if lit, ok := e.(*ast.BasicLit); ok {
			out[lit] = true
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.KeyValueExpr:
			if isCause(n.Key) {
				mark(n.Value)
			}
		case *ast.BinaryExpr:
			if isCause(n.X) {
				mark(n.Y)
			}
			if isCause(n.Y) {
				mark(n.X)
			}
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				if isCause(l) && i < len(n.Rhs) {
					mark(n.Rhs[i])
				}
			}
		}
		return true
	})
	return out
}

// TestSchemaPinsCauses checks that runrec/report.schema.json's cause enum and
// finding kind enum are exactly runrec's lists.
func TestSchemaPinsCauses(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(moduleRoot(t), "runrec", "report.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Defs struct {
			Cause struct {
				Enum []string `json:"enum"`
			} `json:"cause"`
		} `json:"$defs"`
		Properties struct {
			Findings struct {
				Items struct {
					Properties struct {
						Kind struct {
							Enum []string `json:"enum"`
						} `json:"kind"`
					} `json:"properties"`
				} `json:"items"`
			} `json:"findings"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if got, want := doc.Defs.Cause.Enum, runrec.AllCauses(); !slices.Equal(got, want) {
		t.Errorf("schema $defs.cause.enum = %v, want runrec.AllCauses() %v", got, want)
	}
	if got, want := doc.Properties.Findings.Items.Properties.Kind.Enum, runrec.FindingKinds(); !slices.Equal(got, want) {
		t.Errorf("schema findings[].kind enum = %v, want runrec.FindingKinds() %v", got, want)
	}
}
