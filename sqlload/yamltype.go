package sqlload

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// yamlTypeRE matches yaml.v3's type error: "cannot unmarshal !!str `abc`
// into int".
var yamlTypeRE = regexp.MustCompile("^cannot unmarshal !!(\\w+) `(.*)` into (.+)$")

// typeErrorWords rewrites a yaml.v3 type error as the field and the types
// in words ("producers: want a whole number, got text (abc)"); line finds
// the field; ok is false when msg is not a type error.
func typeErrorWords(root *yaml.Node, line int, msg string) (string, bool) {
	m := yamlTypeRE.FindStringSubmatch(msg)
	if m == nil {
		return "", false
	}
	got := map[string]string{"str": "text", "int": "a number", "float": "a number", "bool": "true or false",
		"seq": "a list", "map": "a mapping", "null": "nothing"}[m[1]]
	if got == "" {
		got = "a " + m[1]
	}
	val := ""
	if m[2] != "" && m[1] != "seq" && m[1] != "map" {
		val = fmt.Sprintf(" (%s)", m[2])
	}
	field := keyAt(root, line)
	if field == "" {
		field = "a value"
	}
	return fmt.Sprintf("%s: want %s, got %s%s", field, goTypeWords(m[3]), got, val), true
}

// goTypeWords says a Go type as a scenario author thinks of it.
func goTypeWords(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a mapping (key: value lines)"
	case t == "int" || t == "int64" || t == "int32" || t == "uint" || t == "uint64":
		return "a whole number"
	case t == "float64" || t == "float32":
		return "a number"
	case t == "bool":
		return "true or false"
	case t == "string":
		return "text"
	case strings.HasSuffix(t, "Duration"):
		return "a duration such as 30s or 2m"
	}
	return "a mapping (key: value lines)"
}

// keyAt is the mapping key whose value starts on line (its dotted path,
// e.g. "phases.2.profile"), or "".
func keyAt(n *yaml.Node, line int) string {
	var walk func(n *yaml.Node, path string) string
	walk = func(n *yaml.Node, path string) string {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				if p := walk(c, path); p != "" {
					return p
				}
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + p
				}
				if k.Line == line || v.Line == line && v.Kind == yaml.ScalarNode {
					if v.Kind == yaml.ScalarNode || k.Line == line {
						return p
					}
				}
				if q := walk(v, p); q != "" {
					return q
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				if q := walk(c, fmt.Sprintf("%s.%d", path, i+1)); q != "" {
					return q
				}
			}
		}
		return ""
	}
	return walk(n, "")
}
