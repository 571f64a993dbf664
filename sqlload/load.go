package sqlload

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

//go:embed scenarios/*.yaml
var builtinFS embed.FS

// ScenarioInfo describes a built-in scenario.
type ScenarioInfo struct {
	Name        string
	Description string
	// Duration is its planned length.
	Duration time.Duration
}

// ScenarioError is a bad scenario: its message names the file and line
// ("ramp.yaml:12: phases[1].rate: ...") and is one line.
type ScenarioError struct {
	File string
	Line int // 0 when unknown
	Msg  string
}

func (e *ScenarioError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Builtins lists the built-in scenarios, sorted by name.
func Builtins() []ScenarioInfo {
	entries, _ := fs.ReadDir(builtinFS, "scenarios")
	var out []ScenarioInfo
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".yaml")
		if !ok {
			continue
		}
		sc, err := LoadScenario(name)
		if err != nil {
			// A broken built-in is a bug the tests catch; list it anyway.
			out = append(out, ScenarioInfo{Name: name, Description: "BROKEN: " + err.Error()})
			continue
		}
		out = append(out, ScenarioInfo{Name: name, Description: sc.Description, Duration: sc.TotalDuration()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LoadScenario reads a built-in scenario by name, or a YAML file by path.
// Parsing is strict (unknown fields are errors) and every error is a
// *ScenarioError naming file:line. Omitted fields get modest defaults.
func LoadScenario(nameOrPath string) (*Scenario, error) {
	if nameOrPath == "" {
		nameOrPath = "baseline"
	}
	if !strings.ContainsAny(nameOrPath, `/\`) && !strings.HasSuffix(nameOrPath, ".yaml") && !strings.HasSuffix(nameOrPath, ".yml") {
		data, err := builtinFS.ReadFile("scenarios/" + nameOrPath + ".yaml")
		if err == nil {
			sc, err := parseScenario("builtin:"+nameOrPath+".yaml", data)
			if sc != nil {
				sc.Source = "builtin:" + nameOrPath
			}
			return sc, err
		}
		if _, serr := os.Stat(nameOrPath); serr != nil {
			return nil, &ScenarioError{File: nameOrPath, Msg: "unknown scenario (built-ins: " + strings.Join(builtinNames(), ", ") + "; or give a YAML file)"}
		}
	}
	data, err := os.ReadFile(nameOrPath)
	if err != nil {
		return nil, &ScenarioError{File: nameOrPath, Msg: "cannot read scenario: " + unwrapPathError(err)}
	}
	sc, err := parseScenario(nameOrPath, data)
	if sc != nil {
		sc.Source = nameOrPath
	}
	return sc, err
}

func builtinNames() []string {
	entries, _ := fs.ReadDir(builtinFS, "scenarios")
	var out []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			out = append(out, n)
		}
	}
	return out
}

func unwrapPathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// defaultScenario holds the values a scenario file may omit. YAML decoding
// overwrites only the fields the file sets, so a field given as 0 is still
// seen (and rejected) by validate.
func defaultScenario() Scenario {
	return Scenario{
		Adapter:      "skiplocked",
		Rate:         200,
		Producers:    2,
		Consumers:    4,
		EnqueueBatch: 10,
		DequeueBatch: 10,
		Queues:       1,
		WorkTime:     Dist{Kind: DistFixed, Mean: Duration(time.Millisecond)},
		PayloadBytes: SizeDist{Min: 200, Max: 200},
		MaxAttempts:  3,
		RetryBackoff: Duration(defaultBackoff),
		Priorities:   1,
		Wakeup:       "poll",
		PollInterval: Duration(50 * time.Millisecond),
		SLOP99:       Duration(time.Second),
	}
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// parseScenario decodes and validates one document; file names errors.
func parseScenario(file string, data []byte) (*Scenario, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, err)
	}
	if len(root.Content) == 0 {
		return nil, &ScenarioError{File: file, Msg: "empty scenario"}
	}
	if root.Content[0].Kind != yaml.MappingNode {
		return nil, &ScenarioError{File: file, Line: root.Content[0].Line, Msg: "a scenario is a YAML mapping (name:, adapter:, phases: ...)"}
	}
	sc := defaultScenario()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&sc); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(file, err, &root)
	}
	if err := sc.validate(); err != nil {
		return nil, locate(file, root.Content[0], err)
	}
	return &sc, nil
}

// yamlError turns a yaml.v3 error into a one-line ScenarioError.
func yamlError(file string, err error, root ...*yaml.Node) error {
	var le *lineError
	if errors.As(err, &le) {
		return &ScenarioError{File: file, Line: le.line, Msg: le.msg}
	}
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if len(root) > 0 {
			if words, ok := typeErrorWords(root[0], line, m[2]); ok {
				return &ScenarioError{File: file, Line: line, Msg: words}
			}
		}
		return &ScenarioError{File: file, Line: line, Msg: tidyYAMLMsg(m[2])}
	}
	return &ScenarioError{File: file, Msg: "not a valid scenario: " + tidyYAMLMsg(msg)}
}

// tidyYAMLMsg drops Go type names from yaml.v3's messages.
func tidyYAMLMsg(s string) string {
	s = strings.ReplaceAll(s, " in type sqlload.Scenario", "")
	s = strings.ReplaceAll(s, " in type sqlload.Phase", " (phase)")
	s = strings.ReplaceAll(s, " in type sqlload.Delayed", " (delayed)")
	s = strings.ReplaceAll(s, "field ", "unknown field ")
	s = strings.ReplaceAll(s, " not found", "")
	return strings.ReplaceAll(s, "\n", " ")
}

// locate gives a validation error the line of the value it is about.
func locate(file string, root *yaml.Node, err error) error {
	var pe *pathError
	if !errors.As(err, &pe) {
		return &ScenarioError{File: file, Msg: err.Error()}
	}
	return &ScenarioError{File: file, Line: lineOf(root, pe.path), Msg: pe.Error()}
}

// lineOf returns the line of the deepest node along path (the key's line
// for mapping entries; the document's first line when nothing matches).
func lineOf(n *yaml.Node, path []any) int {
	line := n.Line
	for _, p := range path {
		var next *yaml.Node
		switch v := p.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return line
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == v {
					line = n.Content[i].Line
					next = n.Content[i+1]
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && v < len(n.Content) {
				next = n.Content[v]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

// YAML returns the scenario as actually used (defaults filled in,
// overrides applied), as a YAML document LoadScenario reads back.
func (s *Scenario) YAML() string {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(s); err != nil {
		return "# cannot encode scenario: " + err.Error() + "\n"
	}
	_ = enc.Close()
	return b.String()
}
