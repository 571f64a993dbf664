package sqlload

import (
	"strings"
	"testing"
)

func TestYAMLTypeErrorsInWords(t *testing.T) {
	for body, want := range map[string]string{
		"name: t\nproducers: abc\n": "s.yaml:2: producers: want a whole number, got text (abc)",
		"name: t\nphases: 3\n":      "s.yaml:2: phases: want a list, got a number (3)",
		"name: t\nrate: many\n":     "s.yaml:2: rate: want a number, got text (many)",
	} {
		_, err := parseScenario("s.yaml", []byte(body))
		if err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
		if err != nil && (strings.Contains(err.Error(), "sqlload.") || strings.Contains(err.Error(), "!!")) {
			t.Errorf("%q: Go or YAML internals in %q", body, err)
		}
	}
}
