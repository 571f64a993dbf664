package recommendations

import (
	"strings"
	"testing"
)

func TestCovers(t *testing.T) {
	t.Parallel()
	q := ParseStatement(1, "SELECT id FROM job WHERE queue = $1 AND state = $2 AND run_at <= now() ORDER BY priority, run_at LIMIT $3 FOR UPDATE SKIP LOCKED").Claim
	tb := &TableInfo{Name: "public.job", Checks: []string{"CHECK (state = ANY (ARRAY['pending'::text, 'active'::text, 'done'::text]))"},
		Columns: []Column{{Name: "queue"}, {Name: "state"}, {Name: "priority"}, {Name: "run_at"}}}
	ci := designClaimIndex(q, "public.job", tb)
	if strings.Join(ci.Columns, ",") != "queue,priority,run_at" || ci.Predicate != "state = 'pending'" {
		t.Fatalf("design = %+v", ci)
	}
	cases := []struct {
		name string
		ix   Index
		want coverage
	}{
		{"partial in claim order", Index{Columns: []string{"queue", "priority", "run_at"}, Predicate: "state = 'pending'::text", Valid: true}, coversFull},
		{"full index with state among the equality columns", Index{Columns: []string{"state", "queue", "priority", "run_at", "id"}, Valid: true}, coversFull},
		{"equality columns in another order", Index{Columns: []string{"queue", "state", "priority", "run_at"}, Valid: true}, coversFull},
		{"both directions reversed: a backward scan", Index{Columns: []string{"queue", "priority", "run_at"}, Desc: []bool{false, true, true}, Predicate: "state = 'pending'::text", Valid: true}, coversFull},
		{"one direction reversed", Index{Columns: []string{"queue", "priority", "run_at"}, Desc: []bool{false, false, true}, Predicate: "state = 'pending'::text", Valid: true}, coversFilter},
		{"order columns swapped", Index{Columns: []string{"queue", "run_at", "priority"}, Predicate: "state = 'pending'::text", Valid: true}, coversFilter},
		{"partial on another state", Index{Columns: []string{"queue", "priority", "run_at"}, Predicate: "state = 'done'::text", Valid: true}, coversNone},
		{"predicate the claim does not imply", Index{Columns: []string{"queue", "priority", "run_at"}, Predicate: "attempts < 3", Valid: true}, coversNone},
		{"missing an equality column", Index{Columns: []string{"priority", "run_at"}, Predicate: "state = 'pending'::text", Valid: true}, coversNone},
		{"invalid (failed CONCURRENTLY build)", Index{Columns: []string{"queue", "priority", "run_at"}, Predicate: "state = 'pending'::text"}, coversNone},
		{"not a btree", Index{Columns: []string{"queue", "priority", "run_at"}, Method: "hash", Valid: true}, coversNone},
	}
	for _, c := range cases {
		if got := covers(c.ix, ci); got != c.want {
			t.Errorf("%s: covers = %d, want %d", c.name, got, c.want)
		}
	}
}

func TestDesignClaimIndex(t *testing.T) {
	t.Parallel()
	t.Run("mixed directions are kept in the index", func(t *testing.T) {
		q := ParseStatement(1, "SELECT id FROM jobs WHERE status = $1 ORDER BY priority DESC, id LIMIT $2 FOR UPDATE SKIP LOCKED").Claim
		ci := designClaimIndex(q, "jobs", &TableInfo{Columns: []Column{{Name: "status", MostCommon: []string{"done", "queued"}}}})
		if strings.Join(ci.Columns, ",") != "priority,id" || !ci.Desc[0] || ci.Desc[1] || ci.Predicate != "status = 'queued'" {
			t.Fatalf("design = %+v", ci)
		}
	})
	t.Run("no order: the range column follows the equality columns", func(t *testing.T) {
		q := ParseStatement(1, "SELECT id FROM q WHERE queue_name = $1 AND visible_at < now() LIMIT 1 FOR UPDATE SKIP LOCKED").Claim
		ci := designClaimIndex(q, "q", nil)
		if strings.Join(ci.Columns, ",") != "queue_name,visible_at" || ci.Predicate != "" {
			t.Fatalf("design = %+v", ci)
		}
	})
	t.Run("unknown runnable value: a full index with the state column", func(t *testing.T) {
		q := ParseStatement(1, "SELECT id FROM q WHERE state = $1 ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED").Claim
		ci := designClaimIndex(q, "q", &TableInfo{Columns: []Column{{Name: "state", MostCommon: []string{"x", "y"}}}})
		if strings.Join(ci.Columns, ",") != "state,id" || ci.Predicate != "" {
			t.Fatalf("design = %+v", ci)
		}
	})
}

func TestFormatting(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"job": "job", "Job": `"Job"`, "order": `"order"`, "a b": `"a b"`, `x"y`: `"x""y"`, "_x1$": "_x1$"} {
		if got := quoteIdent(in); got != want {
			t.Errorf("quoteIdent(%q) = %s, want %s", in, got, want)
		}
	}
	for in, want := range map[float64]int64{0.5: 1, 3: 5, 6000: 10000, 1000: 1000, 1001: 2000, 12: 20} {
		if got := roundNice(in); got != want {
			t.Errorf("roundNice(%v) = %d, want %d", in, got, want)
		}
	}
	for in, want := range map[float64]string{1: "1MB", 3 << 20: "4MB", 1500 << 20: "2GB", 17100 << 20: "32GB"} {
		if got := mbSetting(in); got != want {
			t.Errorf("mbSetting(%v) = %s, want %s", in, got, want)
		}
	}
	if got := idleTimeout(19.8); got != "60s" { // the 60 s guidance floor
		t.Errorf("idleTimeout(19.8) = %s", got)
	}
	if got := idleTimeout(3600); got != "10min" {
		t.Errorf("idleTimeout(3600) = %s", got)
	}
}
