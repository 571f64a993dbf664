package recommendations

import (
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/runrec"
)

// TestContributingCause: a finding whose cause is cpu_saturation and lists
// xmin_horizon as contributing still gets the xmin advice, labelled as
// addressing a contributing cause; the same advice for a finding whose
// own cause is xmin_horizon carries no such label.
func TestContributingCause(t *testing.T) {
	hold := func(b *runBuilder) {
		for i := range b.run.Samples {
			s := &b.run.Samples[i]
			s.Tables[0].DeadTup = int64(200 * i)
			s.XminHolders = []runrec.XminHolder{{Kind: runrec.XminBackendIdleInXact, PID: 4242, Name: "psql", State: "idle in transaction", XminAge: int64(600 * i), AgeS: float64(i + 300)}}
		}
	}
	b, cat := steady(t)
	hold(b)
	f := finding("F1", "cpu_saturation", "pgqtune.job")
	f.Contributing = []runrec.Contributor{{Cause: "xmin_horizon", Score: 0.45, Summary: "also: pid 4242 held the xmin horizon."}}
	recs, _ := Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{f}})
	cfg := only(recs, runrec.RecConfig)
	if len(cfg) == 0 {
		t.Fatalf("no xmin advice for a contributing xmin_horizon: %+v", recs)
	}
	for _, r := range cfg {
		if !strings.HasPrefix(r.Rationale, "Addresses a contributing cause (xmin_horizon in F1)") {
			t.Errorf("advice for a contributing cause is not labelled: %q", r.Rationale)
		}
	}

	b, cat = steady(t)
	hold(b)
	recs, _ = Recommend(&Input{Run: b.run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "xmin_horizon", "pgqtune.job")}})
	for _, r := range only(recs, runrec.RecConfig) {
		if strings.Contains(r.Rationale, "contributing cause") {
			t.Errorf("advice for the main cause labelled contributing: %q", r.Rationale)
		}
	}
}
