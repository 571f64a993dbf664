// Package version is pgqtune's own version: what `pgqtune --version` prints
// and what every report.json records in pgqtune_version, so a report can be
// traced back to the build that wrote it.
package version

import "runtime/debug"

// Version is set at build time with
// -ldflags "-X github.com/pgqtune/pgqtune/internal/version.Version=v1.2.3"
// (the Makefile passes `git describe`). Unset, it is "dev".
var Version = "dev"

// String is Version, with the commit appended to "dev" when the binary was
// built from a git checkout (dev-0123456789ab), and the module version when
// installed with `go install module@version`.
func String() string {
	if Version != "dev" {
		return Version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Version
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) < 12 {
		return Version
	}
	v := "dev-" + rev[:12]
	if dirty {
		v += "-dirty"
	}
	return v
}
