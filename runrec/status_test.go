package runrec_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// TestCollectorStatusJSON checks that a status written before the object
// form (the human text alone) and the same status in the object form decode
// to the same value, and that the object form round-trips.
func TestCollectorStatusJSON(t *testing.T) {
	back := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name   string
		old    string // the string form, as a JSON string
		object string // the object form
		want   runrec.CollectorStatus
	}{
		{"ok", `"ok"`, `{"kind":"ok"}`, runrec.CollectorStatus{Kind: runrec.StatusOK}},
		{"reset", `"reset"`, `{"kind":"reset"}`, runrec.CollectorStatus{Kind: runrec.StatusReset}},
		{"error", `"error: statement timeout"`, `{"kind":"error","detail":"error: statement timeout"}`,
			runrec.CollectorStatus{Kind: runrec.StatusError, Detail: "error: statement timeout"}},
		{"no privilege", `"no privilege: GRANT pg_monitor TO app (permission denied for view x)"`,
			`{"kind":"no_privilege","detail":"no privilege: GRANT pg_monitor TO app (permission denied for view x)"}`,
			runrec.CollectorStatus{Kind: runrec.StatusNoPrivilege, Detail: "no privilege: GRANT pg_monitor TO app (permission denied for view x)"}},
		{"missing", `"missing: CREATE EXTENSION pg_stat_statements"`, `{"kind":"missing","detail":"missing: CREATE EXTENSION pg_stat_statements"}`,
			runrec.CollectorStatus{Kind: runrec.StatusMissing, Detail: "missing: CREATE EXTENSION pg_stat_statements"}},
		{"unsupported", `"unsupported: not in recovery"`, `{"kind":"unsupported","detail":"unsupported: not in recovery"}`,
			runrec.CollectorStatus{Kind: runrec.StatusUnsupported, Detail: "unsupported: not in recovery"}},
		{"unavailable", `"unavailable: reconnecting"`, `{"kind":"unavailable","detail":"unavailable: reconnecting"}`,
			runrec.CollectorStatus{Kind: runrec.StatusUnavailable, Detail: "unavailable: reconnecting"}},
		{"reconnected", `"reconnected after 2.0s"`, `{"kind":"reconnected","detail":"reconnected after 2.0s"}`,
			runrec.CollectorStatus{Kind: runrec.StatusReconnected, Detail: "reconnected after 2.0s"}},
		{"restarted", `"restarted at 2026-01-02T03:04:05Z, reconnected after 2.0s"`,
			`{"kind":"restarted","detail":"restarted at 2026-01-02T03:04:05Z, reconnected after 2.0s","restarted_at":"2026-01-02T03:04:05Z"}`,
			runrec.CollectorStatus{Kind: runrec.StatusRestarted, Detail: "restarted at 2026-01-02T03:04:05Z, reconnected after 2.0s", RestartedAt: back}},
		// Analysis used to date a restart whose time did not parse by its
		// sample: the time stays unknown.
		{"restarted, time unreadable", `"restarted at soon, reconnected after 2.0s"`,
			`{"kind":"restarted","detail":"restarted at soon, reconnected after 2.0s"}`,
			runrec.CollectorStatus{Kind: runrec.StatusRestarted, Detail: "restarted at soon, reconnected after 2.0s"}},
		{"unknown text", `"paused by operator"`, `{"kind":"unknown","detail":"paused by operator"}`,
			runrec.CollectorStatus{Kind: runrec.StatusUnknown, Detail: "paused by operator"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var fromOld, fromObject runrec.CollectorStatus
			if err := json.Unmarshal([]byte(c.old), &fromOld); err != nil {
				t.Fatalf("decode %s: %v", c.old, err)
			}
			if err := json.Unmarshal([]byte(c.object), &fromObject); err != nil {
				t.Fatalf("decode %s: %v", c.object, err)
			}
			if !reflect.DeepEqual(fromOld, c.want) || !reflect.DeepEqual(fromObject, c.want) {
				t.Errorf("old form %+v, object form %+v, want both %+v", fromOld, fromObject, c.want)
			}
			var text string
			if err := json.Unmarshal([]byte(c.old), &text); err != nil {
				t.Fatal(err)
			}
			if got := fromOld.String(); got != text {
				t.Errorf("String() = %q, want the old text %q", got, text)
			}
			b, err := json.Marshal(c.want)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != c.object {
				t.Errorf("encoded %s, want %s", b, c.object)
			}
		})
	}
}

// TestSampleStatusForms decodes samples.jsonl lines written before and
// after the object form into the same Sample.
func TestSampleStatusForms(t *testing.T) {
	old := `{"t":"2026-01-02T03:04:06Z","interval_s":1,"status":{"server":"restarted at 2026-01-02T03:04:05Z, reconnected after 2.0s","database":"reset","statements":"no privilege: GRANT pg_monitor TO app"}}`
	var a runrec.Sample
	if err := json.Unmarshal([]byte(old), &a); err != nil {
		t.Fatal(err)
	}
	line, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var b runrec.Sample
	if err := json.Unmarshal(line, &b); err != nil {
		t.Fatalf("decode %s: %v", line, err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("old line decodes to %+v, its re-encoding %s to %+v", a, line, b)
	}
	if st := b.Status["server"]; st.Kind != runrec.StatusRestarted || !st.RestartedAt.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("server status = %+v", st)
	}
	if b.Status["database"].Kind != runrec.StatusReset || b.Status["statements"].Kind != runrec.StatusNoPrivilege {
		t.Errorf("statuses = %+v", b.Status)
	}
	// A kind from a later pgqtune is kept as it is.
	var c runrec.CollectorStatus
	if err := json.Unmarshal([]byte(`{"kind":"throttled","detail":"throttled: 5s","extra":1}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.Kind != "throttled" || c.String() != "throttled: 5s" {
		t.Errorf("a later kind decodes to %+v", c)
	}
}
