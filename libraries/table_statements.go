package libraries

import "strings"

// classifyShape decides a statement's role from its SQL shape alone: the
// fallback for a home-grown queue table (no library), and for a library
// statement that none of the library's shapes knows. isQueue tells whether
// a relation, as written, is a queue table. The rank orders claims by how
// sure the shape is: 3 a SKIP LOCKED lock, 2 a plain FOR UPDATE on a queue
// table, 1 an UPDATE ... LIMIT ... RETURNING on one.
//
// Never a claim: Postgres' foreign-key checks (FOR KEY SHARE on ONLY the
// parent), FOR SHARE locks, advisory locks, and SELECTs that only count.
func classifyShape(s *shape, isQueue func(rel string) bool) (Role, int) {
	if !s.parsed {
		return classifyText(s, isQueue)
	}
	if s.fkCheck() {
		return RoleFKCheck, 0
	}
	for _, l := range s.locks {
		if !l.exclusive() {
			continue
		}
		if l.skip {
			return RoleClaim, 3
		}
		if isQueue(l.rel) {
			return RoleClaim, 2
		}
	}
	for _, w := range s.writes {
		if !isQueue(w.rel) {
			continue
		}
		switch w.command {
		case "insert":
			return RoleEnqueue, 0
		case "delete":
			if w.byID {
				return RoleComplete, 0
			}
			return RoleMaintenance, 0
		case "update":
			if w.returning && strings.Contains(s.lower, " limit ") {
				return RoleClaim, 1
			}
			if !w.byID {
				return RoleMaintenance, 0
			}
			if setsError(w.sets) {
				return RoleFail, 0
			}
			return RoleComplete, 0
		}
	}
	if s.stats() {
		for _, r := range s.rels {
			if isQueue(r) {
				return RoleMaintenance, 0
			}
		}
	}
	return RoleOther, 0
}

// classifyText is classifyShape for a text pg_query cannot parse (cut at
// the recorded length, or another dialect): only what the words say.
func classifyText(s *shape, isQueue func(rel string) bool) (Role, int) {
	named := false
	for _, w := range strings.FieldsFunc(s.lower, func(r rune) bool {
		return !(r == '_' || r == '.' || r == '"' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) {
		if isQueue(strings.ReplaceAll(w, `"`, "")) {
			named = true
			break
		}
	}
	switch {
	case strings.Contains(s.lower, "for key share"), strings.Contains(s.lower, "for share"):
		return RoleOther, 0
	case strings.Contains(s.lower, "skip locked"):
		return RoleClaim, 3
	case named && strings.Contains(s.lower, "for update"):
		return RoleClaim, 2
	case named && strings.HasPrefix(strings.TrimSpace(stripComments(s.lower)), "insert"):
		return RoleEnqueue, 0
	}
	return RoleOther, 0
}

// stripComments drops leading /* */ and -- comments.
func stripComments(s string) string {
	for {
		t := strings.TrimSpace(s)
		switch {
		case strings.HasPrefix(t, "/*"):
			i := strings.Index(t, "*/")
			if i < 0 {
				return ""
			}
			s = t[i+2:]
		case strings.HasPrefix(t, "--"):
			i := strings.IndexByte(t, '\n')
			if i < 0 {
				return ""
			}
			s = t[i+1:]
		default:
			return t
		}
	}
}

// setsError reports whether an UPDATE records a failure.
func setsError(sets []string) bool {
	for _, c := range sets {
		switch c {
		case "last_error", "error", "errors", "error_count", "last_error_message", "error_details":
			return true
		}
	}
	return false
}
