package runrec_test

import (
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/runrec"
)

// TestLoadDerivesRoles: a run recorded before the sampler recorded
// statement roles gets them derived once, when loaded, by the sampler's own
// decision; a recorded decision is kept as it is.
func TestLoadDerivesRoles(t *testing.T) {
	r, err := runrec.Load("../compare/testdata/runs/base")
	if err != nil {
		t.Fatal(err)
	}
	var claims, enqueues int
	for _, sr := range r.Meta.StatementRoles {
		if !strings.HasPrefix(sr.How, runrec.HowDerived) {
			t.Errorf("role %+v not marked as derived", sr)
		}
		switch sr.Role {
		case "claim":
			claims++
			if sr.Queue != "pgqtune.job" || !strings.Contains(sr.Text, "SKIP LOCKED") {
				t.Errorf("claim %+v", sr)
			}
		case "enqueue":
			enqueues++
		}
		if strings.Contains(sr.Text, "/* pgqtune */") {
			t.Errorf("the sampler's own query decided: %+v", sr)
		}
	}
	if claims != 1 || enqueues != 1 {
		t.Fatalf("derived roles %+v", r.Meta.StatementRoles)
	}
	recorded := []runrec.StatementRole{{QueryID: 7, Role: "claim"}}
	r.Meta.StatementRoles = recorded
	if got := r.Roles(); len(got) != 1 || got[0].QueryID != 7 {
		t.Fatalf("recorded roles replaced: %+v", got)
	}
}
