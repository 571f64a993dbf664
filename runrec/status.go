package runrec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// StatusKind is the machine-readable part of a CollectorStatus: whether a
// collector produced data on a tick and, when it did not, which sort of
// reason kept it from doing so. Readers switch on it; the human text is in
// CollectorStatus.Detail. A kind this build does not know (written by a newer
// one) is kept as it is and treated as no particular reason.
type StatusKind string

// The kinds the sampler writes. Collector kinds (ok, reset, error, missing,
// no_privilege, unsupported) are recorded under a collector's name; server
// kinds (unavailable, reconnected, restarted) under the key "server".
const (
	// StatusOK means the collector produced data. Collectors that are ok
	// are usually left out of Sample.Status.
	StatusOK StatusKind = "ok"
	// StatusReset means a counter went backwards or its statistics were
	// reset, so the collector's deltas are left out for this tick.
	StatusReset StatusKind = "reset"
	// StatusError means the collector's query failed this tick (a timeout,
	// an unexpected SQLSTATE); it is tried again on the next tick.
	StatusError StatusKind = "error"
	// StatusMissing means what the collector reads is not there (an
	// extension not installed or not preloaded, a view or function absent);
	// Detail says what to install.
	StatusMissing StatusKind = "missing"
	// StatusNoPrivilege means the sampling role may not read the view;
	// Detail holds the GRANT that fixes it.
	StatusNoPrivilege StatusKind = "no_privilege"
	// StatusUnsupported means the server does not support what the
	// collector reads (SQLSTATE 0A000).
	StatusUnsupported StatusKind = "unsupported"
	// StatusUnavailable (key "server") means the sampler had no connection
	// on this tick: the server was down or unreachable.
	StatusUnavailable StatusKind = "unavailable"
	// StatusReconnected (key "server") marks the first tick after the
	// sampler reconnected to a server that did not restart.
	StatusReconnected StatusKind = "reconnected"
	// StatusRestarted (key "server") marks the first tick after the sampler
	// reconnected to a server that had restarted; RestartedAt is when it
	// started again.
	StatusRestarted StatusKind = "restarted"
	// StatusUnknown is given to a status in the old string form that has
	// none of the known prefixes; no writer produces it.
	StatusUnknown StatusKind = "unknown"
)

// CollectorStatus is one entry of Sample.Status: why a collector (or, under
// the key "server", the sampler's connection) has no data on a tick.
//
// In samples.jsonl it is the object
//
//	{"kind": "restarted", "detail": "restarted at 2026-01-02T03:04:05Z, reconnected after 2.0s",
//	 "restarted_at": "2026-01-02T03:04:05Z"}
//
// with detail and restarted_at left out when empty. Files written before
// the object form held the human text alone ("reset", "error: ...",
// "no privilege: ...", "missing: ...", "unsupported: ...", "unavailable: ...",
// "reconnected after ...", "restarted at <RFC 3339>, ..."); UnmarshalJSON
// reads both, and the two forms of one status decode to the same value.
type CollectorStatus struct {
	// Kind says what happened; switch on it rather than on Detail.
	Kind StatusKind
	// Detail is the human text shown in notes and reports, complete in
	// itself (it repeats the kind in words, e.g. "no privilege: GRANT
	// pg_monitor TO app (...)"). It is empty for ok and reset, which need no
	// more words. Never parse it.
	Detail string
	// RestartedAt is when the server started again, for StatusRestarted;
	// zero otherwise or when unknown.
	RestartedAt time.Time
}

// String returns the status as people read it: Detail, or the kind's name
// when there is no detail. It is the text the old string form held.
func (s CollectorStatus) String() string {
	if s.Detail != "" {
		return s.Detail
	}
	return string(s.Kind)
}

// statusJSON is the object form of a CollectorStatus.
type statusJSON struct {
	Kind        StatusKind `json:"kind"`
	Detail      string     `json:"detail,omitempty"`
	RestartedAt *time.Time `json:"restarted_at,omitempty"`
}

// MarshalJSON writes the object form.
func (s CollectorStatus) MarshalJSON() ([]byte, error) {
	w := statusJSON{Kind: s.Kind, Detail: s.Detail}
	if !s.RestartedAt.IsZero() {
		t := s.RestartedAt
		w.RestartedAt = &t
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the object form or the old string form.
func (s *CollectorStatus) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var text string
		if err := json.Unmarshal(b, &text); err != nil {
			return fmt.Errorf("runrec: decode collector status: %w", err)
		}
		*s = parseStatusText(text)
		return nil
	}
	var w statusJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("runrec: decode collector status: %w", err)
	}
	*s = CollectorStatus{Kind: w.Kind, Detail: w.Detail}
	if w.RestartedAt != nil {
		s.RestartedAt = *w.RestartedAt
	}
	return nil
}

// parseStatusText reads the old string form. The prefixes are the ones
// analyze matched before the kinds existed, so old runs analyze as they did:
// "reset" exactly, "error..." for any collector, and "unavailable...",
// "reconnected..." and "restarted at <RFC 3339>, ..." for the server. A
// restart time that does not parse leaves RestartedAt zero (analyze then
// takes the sample's time, as it did).
func parseStatusText(text string) CollectorStatus {
	st := CollectorStatus{Kind: StatusUnknown, Detail: text}
	switch {
	case text == "" || text == string(StatusOK):
		return CollectorStatus{Kind: StatusOK}
	case text == string(StatusReset):
		return CollectorStatus{Kind: StatusReset}
	case strings.HasPrefix(text, "error"):
		st.Kind = StatusError
	case strings.HasPrefix(text, "no privilege"):
		st.Kind = StatusNoPrivilege
	case strings.HasPrefix(text, "missing"):
		st.Kind = StatusMissing
	case strings.HasPrefix(text, "unsupported"):
		st.Kind = StatusUnsupported
	case strings.HasPrefix(text, "unavailable"):
		st.Kind = StatusUnavailable
	case strings.HasPrefix(text, "reconnected"):
		st.Kind = StatusReconnected
	case strings.HasPrefix(text, "restarted at "):
		st.Kind = StatusRestarted
		at, _, _ := strings.Cut(strings.TrimPrefix(text, "restarted at "), ",")
		if t, err := time.Parse(time.RFC3339, at); err == nil {
			st.RestartedAt = t
		}
	}
	return st
}
