package recommendations

import (
	"reflect"
	"testing"
)

func TestParseStatement(t *testing.T) {
	t.Parallel()
	t.Run("skiplocked claim in a CTE", func(t *testing.T) {
		t.Parallel()
		st := ParseStatement(1, `WITH next AS (SELECT id FROM pgqtune.job WHERE queue = $1 AND state = $2 AND run_at <= now() ORDER BY priority, run_at LIMIT $3 FOR UPDATE SKIP LOCKED) UPDATE pgqtune.job j SET state = $4, started_at = now(), attempts = attempts + $5 FROM next WHERE j.id = next.id RETURNING j.id, j.payload`)
		if st.ParseError != "" {
			t.Fatal(st.ParseError)
		}
		if st.Command != "update" || st.Target != "pgqtune.job" {
			t.Fatalf("command/target = %q/%q", st.Command, st.Target)
		}
		if !reflect.DeepEqual(st.SetColumns, []string{"state", "started_at", "attempts"}) {
			t.Fatalf("set columns = %v", st.SetColumns)
		}
		c := st.Claim
		if c == nil {
			t.Fatal("no claim found")
		}
		want := "WHERE queue = $1 AND state = $2 AND run_at <= now() ORDER BY priority, run_at LIMIT $3 FOR UPDATE SKIP LOCKED"
		if c.String() != want || c.Relation != "pgqtune.job" {
			t.Fatalf("claim = %q on %q, want %q", c.String(), c.Relation, want)
		}
	})
	t.Run("claim in a subquery, reversed comparison, DESC", func(t *testing.T) {
		t.Parallel()
		st := ParseStatement(2, `DELETE FROM q WHERE msg_id IN (SELECT msg_id FROM q WHERE now() >= vt ORDER BY msg_id DESC LIMIT 10 FOR UPDATE) RETURNING *`)
		c := st.Claim
		if c == nil || c.Relation != "q" || c.SkipLocked {
			t.Fatalf("claim = %+v", c)
		}
		if len(c.Filters) != 1 || c.Filters[0] != (Predicate{Column: "vt", Op: "<=", Value: "now()"}) {
			t.Fatalf("filters = %+v", c.Filters)
		}
		if len(c.OrderBy) != 1 || !c.OrderBy[0].Desc || c.Limit != "10" {
			t.Fatalf("order/limit = %+v %q", c.OrderBy, c.Limit)
		}
	})
	t.Run("a foreign-key check is no claim", func(t *testing.T) {
		t.Parallel()
		// What Postgres runs for pg-boss's deferred foreign key from the
		// job partitions to pgboss.queue at every send.
		st := ParseStatement(6, `SELECT 1 FROM ONLY "pgboss"."queue" x WHERE "name" OPERATOR(pg_catalog.=) $1 FOR KEY SHARE OF x`)
		if st.ParseError != "" || st.Claim != nil {
			t.Fatalf("claim = %+v, parse error %q", st.Claim, st.ParseError)
		}
	})
	t.Run("notify and retention delete", func(t *testing.T) {
		t.Parallel()
		if st := ParseStatement(3, `SELECT pg_notify($1, $2)`); !st.Notify {
			t.Fatal("pg_notify not seen")
		}
		st := ParseStatement(4, `DELETE FROM job WHERE state = $1 AND finished_at < now() - $2::interval`)
		if st.Command != "delete" || len(st.Where) != 2 || st.Where[1].Op != "<" || st.Claim != nil {
			t.Fatalf("delete = %+v", st)
		}
	})
	t.Run("unparsable text is reported, not fatal", func(t *testing.T) {
		t.Parallel()
		st := ParseStatement(5, `SELEC oops`)
		if st.ParseError == "" {
			t.Fatal("no parse error")
		}
	})
}
