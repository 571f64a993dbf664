package sqlload

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Settings are an adapter's settings: the scenario's adapter.settings map,
// as YAML decoded it (strings, ints, floats, bools). Adapters read them with
// the typed getters below, which fill defaults and return a *SettingError
// naming the key, and reject keys they do not know with Check, so a typo in
// a scenario file is an error with its file:line rather than silently
// ignored.
//
// Settings the built-in adapters understand are documented in each
// adapter's package doc (sqlload/adapter/...); common ones:
//
//	completion: delete | update | archive   how Complete finishes a job
//	insert:     multirow | single | copy     default insert method
//	notify:     true | false                  NOTIFY on enqueue (LISTEN/NOTIFY wake-ups)
type Settings map[string]any

// SettingError is a bad adapter setting.
type SettingError struct {
	Key string
	Msg string
}

func (e *SettingError) Error() string { return fmt.Sprintf("adapter setting %q: %s", e.Key, e.Msg) }

// Check returns a *SettingError for the first key (in sorted order) that is
// not one of known.
func (s Settings) Check(known ...string) error {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(known, k) {
			return &SettingError{Key: k, Msg: "unknown setting (known: " + strings.Join(known, ", ") + ")"}
		}
	}
	return nil
}

// String returns the key's value or def; with allowed given, the value must
// be one of them.
func (s Settings) String(key, def string, allowed ...string) (string, error) {
	v, ok := s[key]
	if !ok || v == nil {
		return def, nil
	}
	str, ok := v.(string)
	if !ok {
		return "", &SettingError{Key: key, Msg: fmt.Sprintf("want a string, got %v", v)}
	}
	if len(allowed) > 0 && !slices.Contains(allowed, str) {
		return "", &SettingError{Key: key, Msg: fmt.Sprintf("%q is not one of %s", str, strings.Join(allowed, ", "))}
	}
	return str, nil
}

// Int returns the key's value or def; it must lie in [lo, hi].
func (s Settings) Int(key string, def, lo, hi int) (int, error) {
	v, ok := s[key]
	if !ok || v == nil {
		return def, nil
	}
	var n int
	switch x := v.(type) {
	case int:
		n = x
	case int64:
		n = int(x)
	case float64:
		if x != float64(int(x)) {
			return 0, &SettingError{Key: key, Msg: fmt.Sprintf("want a whole number, got %v", v)}
		}
		n = int(x)
	default:
		return 0, &SettingError{Key: key, Msg: fmt.Sprintf("want a number, got %v", v)}
	}
	if n < lo || n > hi {
		return 0, &SettingError{Key: key, Msg: fmt.Sprintf("%d is outside [%d, %d]", n, lo, hi)}
	}
	return n, nil
}

// Bool returns the key's value or def.
func (s Settings) Bool(key string, def bool) (bool, error) {
	v, ok := s[key]
	if !ok || v == nil {
		return def, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, &SettingError{Key: key, Msg: fmt.Sprintf("want true or false, got %v", v)}
	}
	return b, nil
}

// Duration returns the key's value (a Go duration string such as "30s") or
// def; it must be positive.
func (s Settings) Duration(key string, def time.Duration) (time.Duration, error) {
	v, ok := s[key]
	if !ok || v == nil {
		return def, nil
	}
	str, ok := v.(string)
	if !ok {
		return 0, &SettingError{Key: key, Msg: fmt.Sprintf("want a duration such as \"30s\", got %v", v)}
	}
	d, err := time.ParseDuration(str)
	if err != nil || d <= 0 {
		return 0, &SettingError{Key: key, Msg: fmt.Sprintf("want a positive duration such as \"30s\", got %q", str)}
	}
	return d, nil
}
