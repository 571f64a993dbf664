package sampler

import "fmt"

// settingNotes says which server settings hide something the sampler
// would otherwise see, and what to change.
func settingNotes(s map[string]string) []string {
	var out []string
	off := func(name, what string) {
		if v, ok := s[name]; ok && v == "off" {
			out = append(out, fmt.Sprintf("%s is off: %s; run ALTER SYSTEM SET %s = on; SELECT pg_reload_conf(); (as a superuser)", name, what, name))
		}
	}
	off("track_counts", "table, index and vacuum statistics are not collected")
	off("track_activities", "sessions' current queries and waits are not visible")
	off("track_io_timing", "block read/write times are zero (I/O evidence is counts only)")
	if v := s["pg_stat_statements.track"]; v == "none" {
		out = append(out, "pg_stat_statements.track is none: per-query evidence unavailable; set it to top")
	}
	return out
}
