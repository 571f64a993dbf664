package runrec

import "strings"

// stripSQLComments removes -- and /* */ comments (nested, as Postgres
// allows) outside quoted strings and identifiers, and returns the first
// block comment's text as the statement's tag: pgqtune and many queue
// libraries name their statements that way ("/* pgqtune skiplocked claim */").
// Whitespace is collapsed so the result fits a table cell.
func stripSQLComments(s string) (text, tag string) {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(s) {
				if s[j] == c {
					if j+1 < len(s) && s[j+1] == c { // doubled quote
						j += 2
						continue
					}
					break
				}
				j++
			}
			end := min(j+1, len(s))
			b.WriteString(s[i:end])
			i = end
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				i = len(s)
			} else {
				i += j
			}
			b.WriteByte(' ')
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			depth, j := 1, i+2
			for j < len(s) && depth > 0 {
				switch {
				case strings.HasPrefix(s[j:], "/*"):
					depth++
					j += 2
				case strings.HasPrefix(s[j:], "*/"):
					depth--
					j += 2
				default:
					j++
				}
			}
			if tag == "" {
				inner := strings.TrimSuffix(strings.TrimPrefix(s[i:j], "/*"), "*/")
				tag = strings.Join(strings.Fields(inner), " ")
			}
			i = j
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
			i++
		}
	}
	return strings.Join(strings.Fields(b.String()), " "), tag
}
