package analyze_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/analyze"
	"github.com/pgqtune/pgqtune/runrec"
)

// contributor returns f's contributing entry for cause, failing t when
// there is none.
func contributor(t *testing.T, f runrec.Finding, cause string) runrec.Contributor {
	t.Helper()
	for _, c := range f.Contributing {
		if c.Cause == cause {
			return c
		}
	}
	b, _ := json.MarshalIndent(f, "", "  ")
	t.Fatalf("finding has no contributing %s:\n%s", cause, b)
	return runrec.Contributor{}
}

// requireAnyCause asserts a finding of one of causes overlapping
// [from,to) and returns it.
func requireAnyCause(t *testing.T, res *analyze.Result, from, to int, causes ...string) runrec.Finding {
	t.Helper()
	for _, f := range res.Findings {
		if slices.Contains(causes, f.Cause) && overlaps(f, from, to) {
			return f
		}
	}
	b, _ := json.MarshalIndent(res.Findings, "", "  ")
	t.Fatalf("no %v finding overlapping %ds-%ds; findings:\n%s", causes, from, to, b)
	return runrec.Finding{}
}

// TestPresenceVersusEffect: a cause whose signal is present but whose
// mechanism did not act in the window is at most contributing; the
// cause named is the one whose effect was measured.
func TestPresenceVersusEffect(t *testing.T) {
	hog := "SELECT count(*) FROM generate_series(1, 100000000) g, LATERAL md5(g::text)"

	t.Run("CPU hogs whose long queries hold the horizon are cpu_saturation, xmin_horizon contributing", func(t *testing.T) {
		s := newSynth(60, 20)
		s.cpuHog(20, 32)
		s.holdXminBy(20, 32, 7001, hog)
		res := analyzeRun(t, s.run)
		f := requireCause(t, res, analyze.CauseCPU, 20, 32)
		c := contributor(t, f, analyze.CauseXmin)
		if !strings.Contains(c.Summary, "not yet enough to slow the claim") {
			t.Errorf("contributing xmin should say the claim did not slow: %q", c.Summary)
		}
		if c.Score >= f.Confidence {
			t.Errorf("contributing score %v should be below the primary's confidence %v", c.Score, f.Confidence)
		}
		checkGolden(t, "cpu_hog_holding_xmin", res)
	})

	t.Run("CPU hogs whose held horizon makes the claim dearer are still cpu_saturation, xmin_horizon contributing with its effect", func(t *testing.T) {
		// The skiplocked fault run this stands for: 12 CPU-bound queries
		// in the queue's database made every claim read 38 -> 5,347
		// buffers while every statement slowed and the CPUs were
		// saturated; an idle transaction making the claim read as much
		// cost no throughput.
		s := newSynth(60, 20)
		s.cpuHog(20, 32)
		s.holdXminWith(20, 32, func(age float64) runrec.XminHolder {
			return runrec.XminHolder{Kind: runrec.XminBackendActive, PID: 7001, Name: "hog", State: "active", Query: hog, XminAge: int64(age * 300), AgeS: age}
		})
		res := analyzeRun(t, s.run)
		f := requireCause(t, res, analyze.CauseCPU, 20, 32)
		c := contributor(t, f, analyze.CauseXmin)
		if !strings.Contains(c.Summary, "each claim read") || !strings.Contains(c.Summary, "busy on CPU") {
			t.Errorf("contributing xmin should state the claim's extra reads and that its holder was on CPU: %q", c.Summary)
		}
		if f.Confidence < 0.5 {
			t.Errorf("confidence %v: a horizon the hogs hold themselves is no rival to the CPU", f.Confidence)
		}
		checkGolden(t, "cpu_hog_xmin_effect", res)
	})

	t.Run("an idle transaction and a CPU hog at once are both named", func(t *testing.T) {
		s := newSynth(60, 20)
		s.holdXmin(20, 34)
		s.cpuHog(20, 32)
		res := analyzeRun(t, s.run)
		f := requireAnyCause(t, res, 20, 32, analyze.CauseCPU, analyze.CauseXmin)
		other := analyze.CauseXmin
		if f.Cause == analyze.CauseXmin {
			other = analyze.CauseCPU
		}
		c := contributor(t, f, other)
		if c.Score < analyze.DefaultOptions().MinCauseScore {
			t.Errorf("contributing %s scored %v: both causes acted and should clear the naming bar", other, c.Score)
		}
		// Both causes' evidence is in the finding: the primary's in its
		// evidence, the other's named in its sentence.
		if !slices.Contains(f.PIDs, 5151) && !slices.Contains(f.PIDs, 7001) {
			t.Errorf("finding names neither the idle session nor a hog: %v", f.PIDs)
		}
		if !strings.Contains(f.Summary+c.Summary, "5151") || !strings.Contains(f.Summary+c.Summary, "7001") {
			t.Errorf("both the idle session 5151 and the hog 7001 should be named:\n%s\n%s", f.Summary, c.Summary)
		}
		checkGolden(t, "xmin_and_cpu", res)
	})

	t.Run("an xmin holder without dead tuples piling up is not the cause", func(t *testing.T) {
		s := newSynth(60, 20)
		s.cpuHog(20, 32)
		s.each(20, 32, func(i int, tk *runrec.WorkloadTick, sm *runrec.Sample) {
			sm.XminHolders = []runrec.XminHolder{{Kind: runrec.XminBackendActive, PID: 7001, State: "active", Query: hog,
				XminAge: int64(300 * (i - 19)), AgeS: float64(i - 19)}}
		})
		res := analyzeRun(t, s.run)
		f := requireCause(t, res, analyze.CauseCPU, 20, 32)
		for _, c := range f.Contributing {
			if c.Cause == analyze.CauseXmin && !strings.Contains(c.Summary, "no dead tuples piled up") {
				t.Errorf("xmin contributor should say nothing piled up: %q", c.Summary)
			}
		}
	})
}

// TestXminHolderKinds: every kind of holder is named when it holds the
// horizon of the queue tables, and a logical slot's catalog_xmin (which
// holds back only the system catalogs) never is.
func TestXminHolderKinds(t *testing.T) {
	cases := []struct {
		name   string
		holder func(age float64) runrec.XminHolder
		want   string // in the finding's summary
	}{
		{"a long-running session", func(age float64) runrec.XminHolder {
			return runrec.XminHolder{Kind: runrec.XminBackendActive, PID: 5252, Name: "report", State: "active", Query: "SELECT sum(x) FROM big", XminAge: int64(age * 400), AgeS: age}
		}, "pid 5252 (active, report)"},
		{"a prepared transaction", func(age float64) runrec.XminHolder {
			return runrec.XminHolder{Kind: runrec.XminPrepared, Name: "tx-42", State: "prepared", Query: "database pgqtune, owner app", XminAge: int64(age * 400), AgeS: age}
		}, `prepared transaction "tx-42"`},
		{"a replication slot with xmin (no age in seconds of its own)", func(age float64) runrec.XminHolder {
			return runrec.XminHolder{Kind: runrec.XminSlot, Name: "standby_slot", State: "inactive", Query: "physical", XminAge: int64(age * 420)}
		}, `replication slot "standby_slot"`},
		{"a standby's hot_standby_feedback (connected for an hour)", func(age float64) runrec.XminHolder {
			return runrec.XminHolder{Kind: runrec.XminStandby, PID: 6262, Name: "replica1", State: "streaming", Query: "10.0.0.7", XminAge: int64(age * 420), AgeS: 3600}
		}, "a standby's hot_standby_feedback (replica1)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSynth(70, 20)
			s.holdXminWith(20, 45, c.holder)
			res := analyzeRun(t, s.run)
			f := requireCause(t, res, analyze.CauseXmin, 20, 45)
			if !strings.Contains(f.Summary, c.want) {
				t.Errorf("summary should name %q:\n%s", c.want, f.Summary)
			}
			if strings.Contains(f.Summary, "for 1h") {
				t.Errorf("a standby's connection age is not how long it held the horizon:\n%s", f.Summary)
			}
		})
	}

	t.Run("a logical slot's catalog_xmin is not a holder for queue tables", func(t *testing.T) {
		s := newSynth(70, 20)
		s.each(0, 70, func(i int, tk *runrec.WorkloadTick, sm *runrec.Sample) {
			sm.XminHolders = []runrec.XminHolder{{Kind: runrec.XminSlotCatalog, Name: "cdc_slot", State: "inactive", Query: "logical",
				XminAge: int64(400 * (i + 100))}}
		})
		res := analyzeRun(t, s.run)
		if len(res.Findings) != 0 {
			b, _ := json.MarshalIndent(res.Findings, "", "  ")
			t.Fatalf("catalog_xmin alone made findings:\n%s", b)
		}
		// And beside a real holder it is not the one named.
		s = newSynth(70, 20)
		s.holdXmin(20, 45)
		s.each(20, 45, func(i int, tk *runrec.WorkloadTick, sm *runrec.Sample) {
			sm.XminHolders = append(sm.XminHolders, runrec.XminHolder{Kind: runrec.XminSlotCatalog, Name: "cdc_slot", Query: "logical", XminAge: 1 << 30})
		})
		res = analyzeRun(t, s.run)
		f := requireCause(t, res, analyze.CauseXmin, 20, 45)
		if strings.Contains(f.Summary, "cdc_slot") || !strings.Contains(f.Summary, "pid 5151") {
			t.Errorf("the idle session, not the logical slot, should be named:\n%s", f.Summary)
		}
	})
}

// TestClaimHoldingRowsIsTheHoldsEffect: a prepared transaction holds the
// horizon for 20 s; the claim, stepping over the dead tuples, slows 20x
// while its buffers barely move (a plan that reads the table whatever it
// holds), then, right as the hold ends, takes seconds a call and holds rows
// that other workers' completes wait for. The completes slowed only because
// they waited on the claim: the held horizon is the cause, and the row
// locks the workload's claim held are its consequence (CI, internal/
// pipeline/faults TestPreparedXact: row_lock_contention named, "hot rows
// locked without SKIP LOCKED", over a SKIP LOCKED claim).
func TestClaimHoldingRowsIsTheHoldsEffect(t *testing.T) {
	s := newSynth(70, 20)
	s.holdXminWith(20, 40, func(age float64) runrec.XminHolder {
		return runrec.XminHolder{Kind: runrec.XminPrepared, Name: "pgqtune_fault", XminAge: int64(age * 1300), AgeS: age}
	})
	s.each(20, 40, func(i int, tk *runrec.WorkloadTick, sm *runrec.Sample) {
		setClaimBlocks(sm, 6*(1+0.8*float64(i-20)/20))
	})
	s.claimHoldsRows(34, 47)
	s.stall(40, 46, 0.04)
	res := analyzeRun(t, s.run)
	f := requireCause(t, res, analyze.CauseXmin, 20, 46)
	for _, g := range res.Findings {
		if overlaps(g, 20, 46) && g.Cause == analyze.CauseRowLock {
			t.Errorf("%s names row_lock_contention for rows the workload's own claim held: %s", g.ID, g.Summary)
		}
	}
	if !strings.Contains(f.Summary, "prepared transaction") {
		t.Errorf("xmin finding does not name the prepared transaction: %s", f.Summary)
	}
}
