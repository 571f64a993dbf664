package recommendations

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/pgqtune/pgqtune/runrec"
)

// autovacuumRule recommends per-table autovacuum settings for queue tables
// whose dead tuples outrun autovacuum, sized from the dead tuples the run
// created per minute, and server-wide naptime/max_workers only when several
// tables need it. Dead tuples held by an xmin horizon are left to the config
// rule: no autovacuum setting can remove them.
func autovacuumRule(f *facts, out *output) {
	xminIDs := f.findingIDs(runrec.CauseXmin)
	var needy []string
	var names []string
	for name := range f.Tables {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		tf := f.Tables[name]
		var t *TableInfo
		if f.in.Catalog != nil {
			t = f.in.Catalog.Table(name)
		}
		if !tf.Queue && t == nil {
			continue
		}
		lag := f.findingsOn(name, runrec.CauseVacuumLag)
		// A bloat finding is vacuum's business only when dead tuples are a
		// real share of the table; finished rows kept on purpose are the
		// partitioning rule's.
		if float64(tf.DeadMax) > 0.2*float64(max(tf.LiveLast, 1)) {
			lag = append(lag, f.findingsOn(name, runrec.CauseBloat)...)
		}
		disabled := t != nil && isOff(t.Reloption("autovacuum_enabled"))
		createdPerMin := f.PerSec(tf.Upd+tf.Del) * 60
		climb := tf.DeadLast - tf.DeadFirst
		// Without a finding, a climb counts only when autovacuum had two
		// naptimes to act and did not bring it down: a short healthy run
		// always shows dead tuples rising towards the first vacuum.
		naptime, ok := f.in.Catalog.SettingSeconds("autovacuum_naptime")
		if !ok || naptime <= 0 {
			naptime = 60
		}
		climbing := tf.DeadSlopePerMin > 100 && float64(climb) > math.Max(1000, 0.2*float64(tf.LiveLast)) &&
			f.DurationS >= 2*naptime && float64(tf.DeadLast) >= 0.8*float64(tf.DeadMax)
		if len(lag) == 0 && !climbing && !(disabled && createdPerMin > 0) {
			continue
		}
		if len(lag) == 0 && len(xminIDs) > 0 && !disabled {
			out.note("dead tuples on %s climbed by %s but finding(s) %s show an xmin horizon holding them: autovacuum settings would not help until it is released",
				name, itoa(climb), strings.Join(xminIDs, ", "))
			continue
		}
		out.add(autovacuumRec(f, name, t, tf, lag, disabled, createdPerMin))
		needy = append(needy, name)
	}
	serverAutovacuumOff(f, out, needy)
	serverWideAutovacuum(f, out, needy)
}

// serverAutovacuumOff catches autovacuum switched off for the whole server:
// per-table settings do nothing then (only the anti-wraparound vacuum
// still runs).
func serverAutovacuumOff(f *facts, out *output, needy []string) {
	if len(needy) == 0 || !isOff(f.in.Catalog.SettingString("autovacuum")) {
		return
	}
	out.add(runrec.Recommendation{
		Kind:   runrec.RecAutovacuum,
		Target: "server",
		SQL:    "ALTER SYSTEM SET autovacuum = on;\nSELECT pg_reload_conf();",
		Rationale: fmt.Sprintf("autovacuum is off for the whole server, so nothing vacuums %s but manual VACUUM (and the anti-wraparound vacuum when it is already urgent); the per-table settings above only take effect with it on.",
			strings.Join(needy, ", ")),
		FindingIDs:     orEmpty(f.findingIDs(runrec.CauseVacuumLag, runrec.CauseBloat)),
		ExpectedImpact: "Autovacuum removes dead tuples and refreshes statistics on every table again.",
		Risk:           "Autovacuum I/O on tables that have not been vacuumed for long can be heavy at first; if it was turned off for a batch window, schedule VACUUM instead of leaving it off.",
		Rollback:       f.systemRollback("autovacuum") + "\nSELECT pg_reload_conf();",
	})
}

func autovacuumRec(f *facts, name string, t *TableInfo, tf *tableFacts, lag []runrec.Finding, disabled bool, createdPerMin float64) runrec.Recommendation {
	naptime, ok := f.in.Catalog.SettingSeconds("autovacuum_naptime")
	if !ok || naptime <= 0 {
		naptime = 60
	}
	// A scale factor multiplies reltuples, which on a bloated queue table
	// counts the bloat: the threshold grows with the problem. A fixed
	// threshold of about half of what one naptime creates makes each
	// autovacuum visit find work, and keeps the dead tuples bounded.
	threshold := roundNice(math.Max(500, createdPerMin*naptime/60/2))
	opts := []string{}
	if disabled {
		opts = append(opts, "autovacuum_enabled = on")
	}
	opts = append(opts,
		"autovacuum_vacuum_scale_factor = 0",
		fmt.Sprintf("autovacuum_vacuum_threshold = %d", threshold),
		"autovacuum_analyze_scale_factor = 0",
		fmt.Sprintf("autovacuum_analyze_threshold = %d", threshold))
	// Throttling: when vacuum ran but could not keep up, stop throttling
	// it on this table only (a queue table kept small is vacuumed in
	// moments; cost-based sleeps only stretch each visit).
	throttled := tf.Autovacuums > 0 || vacuumSeen(f, name)
	if throttled {
		opts = append(opts, "autovacuum_vacuum_cost_delay = 0")
	}
	var why []string
	if len(lag) > 0 {
		why = append(why, fmt.Sprintf("Finding(s) %s show vacuum not keeping up on %s.", strings.Join(ids(lag), ", "), name))
	}
	why = append(why, fmt.Sprintf("During the %s s run, updates and deletes created about %s dead tuples per minute on %s; n_dead_tup went from %s to %s (peak %s, slope %s/min) with %s autovacuum run(s).",
		fmtNum(f.DurationS), fmtNum(createdPerMin), name, itoa(tf.DeadFirst), itoa(tf.DeadLast), itoa(tf.DeadMax), fmtNum(tf.DeadSlopePerMin), itoa(tf.Autovacuums)))
	if disabled {
		why = append(why, "autovacuum is disabled on the table (autovacuum_enabled = off): nothing removes its dead tuples but manual VACUUM.")
	}
	if t != nil {
		sf := t.Reloption("autovacuum_vacuum_scale_factor")
		if sf == "" {
			sf = f.in.Catalog.SettingString("autovacuum_vacuum_scale_factor")
		}
		if sf != "" {
			why = append(why, fmt.Sprintf("With scale_factor %s autovacuum waits until dead tuples exceed %s of reltuples (the planner's estimate of live rows, %s now; it does not count dead ones), a threshold that grows with the table rather than with the queue's churn.",
				sf, sf, fmtNum(t.Reltuples)))
		}
	}
	why = append(why, fmt.Sprintf("A fixed threshold of %d (about half of what one %s s autovacuum_naptime creates) vacuums the table on each autovacuum visit.", threshold, fmtNum(naptime)))
	if throttled {
		why = append(why, "Autovacuum did run but fell behind, so the table's vacuum is also unthrottled (cost delay 0).")
	}
	reset := []string{}
	for _, o := range opts {
		k, _, _ := strings.Cut(o, " =")
		reset = append(reset, k)
	}
	return runrec.Recommendation{
		Kind:       runrec.RecAutovacuum,
		Target:     name,
		SQL:        withLockTimeout(fmt.Sprintf("ALTER TABLE %s SET (%s);", quoteQualified(name), strings.Join(opts, ", "))),
		Rationale:  strings.Join(why, " "),
		FindingIDs: ids(lag),
		ExpectedImpact: fmt.Sprintf("Dead tuples on %s stay bounded near %d instead of climbing (%s/min in this run); the table and its indexes stop growing and each claim reads fewer dead entries.",
			name, threshold, fmtNum(tf.DeadSlopePerMin)),
		Risk: "More frequent vacuums of this table cost I/O and CPU (small on a table kept small); unthrottled, they compete harder with the workload while they run. " +
			"ALTER TABLE ... SET takes a SHARE UPDATE EXCLUSIVE lock briefly (it waits behind a running vacuum or DDL: lock_timeout makes it give up instead; retry).",
		Rollback: withLockTimeout(fmt.Sprintf("ALTER TABLE %s RESET (%s);", quoteQualified(name), strings.Join(reset, ", "))),
	}
}

// serverWideAutovacuum adds naptime/max_workers when more tables need
// frequent vacuums than workers and naptime serve.
func serverWideAutovacuum(f *facts, out *output, needy []string) {
	if len(needy) < 2 {
		return
	}
	workers, ok := f.in.Catalog.SettingFloat("autovacuum_max_workers")
	if !ok {
		workers = 3
	}
	naptime, ok := f.in.Catalog.SettingSeconds("autovacuum_naptime")
	if !ok {
		naptime = 60
	}
	var sql, rollback []string
	var why []string
	why = append(why, fmt.Sprintf("%d tables need frequent vacuums (%s).", len(needy), strings.Join(needy, ", ")))
	if naptime > 15 {
		sql = append(sql, "ALTER SYSTEM SET autovacuum_naptime = '15s';")
		rollback = append(rollback, f.systemRollback("autovacuum_naptime"))
		why = append(why, fmt.Sprintf("autovacuum_naptime %s s means each database is visited that rarely; 15 s lets the per-table thresholds act sooner.", fmtNum(naptime)))
	}
	if float64(len(needy)) >= workers {
		w := len(needy) + 1
		// A restart-only setting is its own recommendation: bundled with
		// pg_reload_conf() it would look applied and not be.
		out.add(runrec.Recommendation{
			Kind:           runrec.RecAutovacuum,
			Target:         "server: autovacuum_max_workers (restart required)",
			SQL:            fmt.Sprintf("ALTER SYSTEM SET autovacuum_max_workers = %d;  -- restart required", w),
			Rationale:      fmt.Sprintf("%d tables need frequent vacuums (%s). autovacuum_max_workers is %s: one long vacuum elsewhere can starve the queue tables; %d leaves a worker free. Restart required: pg_reload_conf() does not apply it.", len(needy), strings.Join(needy, ", "), fmtNum(workers), w),
			ExpectedImpact: "After the restart, a long vacuum elsewhere no longer keeps the queue tables waiting for a worker.",
			Risk:           "Restart required (a short outage). The cost limit is shared among workers, so each runs slower unless the limit is raised too.",
			Rollback:       f.systemRollback("autovacuum_max_workers") + "  -- restart required",
		})
	}
	if len(sql) == 0 {
		return
	}
	sql = append(sql, "SELECT pg_reload_conf();")
	rollback = append(rollback, "SELECT pg_reload_conf();")
	out.add(runrec.Recommendation{
		Kind:           runrec.RecAutovacuum,
		Target:         "server",
		SQL:            strings.Join(sql, "\n"),
		Rationale:      strings.Join(why, " "),
		ExpectedImpact: "Autovacuum reaches each queue table sooner after it crosses its threshold.",
		Risk:           "More autovacuum activity server-wide; applies on reload.",
		Rollback:       strings.Join(rollback, "\n"),
	})
}

func vacuumSeen(f *facts, table string) bool {
	if f.in.Run == nil {
		return false
	}
	for i := range f.in.Run.Samples {
		for _, v := range f.in.Run.Samples[i].Vacuums {
			if v.Relation == table {
				return true
			}
		}
	}
	return false
}

func isOff(v string) bool {
	switch strings.ToLower(v) {
	case "off", "false", "0", "no", "f", "n":
		return true
	}
	return false
}
