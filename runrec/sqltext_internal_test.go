package runrec

import "testing"

func TestStripSQLComments(t *testing.T) {
	for _, tc := range []struct{ in, text, tag string }{
		{"/* pgqtune skiplocked claim */ -- Claims jobs\n-- more\nSELECT 1", "SELECT 1", "pgqtune skiplocked claim"},
		{"SELECT '--not a comment', \"a/*b\" FROM t -- tail", "SELECT '--not a comment', \"a/*b\" FROM t", ""},
		{"SELECT /* outer /* inner */ still */ 2", "SELECT 2", "outer /* inner */ still"},
		{"SELECT 'it''s' /* x */", "SELECT 'it''s'", "x"},
		{"SELECT 1 /* unterminated", "SELECT 1", "unterminated"},
	} {
		text, tag := stripSQLComments(tc.in)
		if text != tc.text || tag != tc.tag {
			t.Errorf("%q: got (%q, %q), want (%q, %q)", tc.in, text, tag, tc.text, tc.tag)
		}
	}
}
