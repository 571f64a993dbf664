package recommendations

import (
	"github.com/pgqtune/pgqtune/libraries"
)

// libraryOwned names the queue library whose migrations own the table
// ("schema.table"), or "" when nothing says a library owns it (pgqtune's
// own tables included). Table rewrites (partition swaps, SET UNLOGGED) are
// never advised on a library's table: its migrations and code expect the
// table as they created it, and its next upgrade would fight the change.
//
// It asks the library profiles first and falls back to managedBy's names,
// so the answer holds both before and after every profile is filled in.
func libraryOwned(table string) string {
	if p := libraries.ForTable(table); p != nil {
		if p.Owned {
			return ""
		}
		return p.Name
	}
	return managedBy(table)
}

// libraryOwnedTable is libraryOwned, also recognizing a table by its shape
// when its schema was renamed: pgmq's queue tables (msg_id, read_ct, vt,
// message) wherever they live.
func libraryOwnedTable(t *TableInfo) string {
	if t == nil {
		return ""
	}
	if lib := libraryOwned(t.Name); lib != "" {
		return lib
	}

	if t.Column("msg_id") != nil && t.Column("read_ct") != nil && t.Column("vt") != nil && t.Column("message") != nil {
		return "pgmq"
	}
	return ""
}
