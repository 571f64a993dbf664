package libraries

// classifiers hold each library's statement shapes, filled by one file per
// library (<library>_statements.go).
var classifiers = map[string]func(text string) Role{}

// Classify tells the role of a normalized statement text for library
// (RoleOther when it is not one of that library's statements, or the
// library is unknown).
func Classify(library, text string) Role {
	if c := classifiers[library]; c != nil {
		return c(text)
	}
	return RoleOther
}
