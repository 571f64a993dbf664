package sampler

import (
	"context"
	_ "embed"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/runrec"
)

//go:embed sql/activity.sql
var activitySQL string

// maxNonWorkload caps the non-workload backends listed per tick.
const maxNonWorkload = 10

// insufficientPrivilege is what pg_stat_activity shows for other roles'
// sessions without pg_read_all_stats.
const insufficientPrivilege = "<insufficient privilege>"

type activityCollector struct{}

func (*activityCollector) name() string { return "activity" }
func (*activityCollector) forget()      {}

// activityRow is one pg_stat_activity row with where it is connected.
type activityRow struct {
	runrec.Backend
	sameDB bool
	// stateAgeS is now - state_change.
	stateAgeS float64
}

// activityReading is the sessions at this tick.
type activityReading struct {
	outcome
	activity *runrec.Activity
}

func (r activityReading) record(smp *runrec.Sample) { smp.Activity = r.activity }

func (c *activityCollector) collect(ctx context.Context, e *env) (activityReading, error) {
	rows, err := e.conn.Query(ctx, activitySQL)
	if err != nil {
		return activityReading{}, fmt.Errorf("read pg_stat_activity: %w", err)
	}
	var all []activityRow
	var r activityRow
	b := &r.Backend
	_, err = pgx.ForEachRow(rows, []any{&b.PID, &b.ApplicationName, &b.BackendType, &b.State, &b.WaitEventType,
		&b.WaitEvent, &b.Query, &b.XactAgeS, &b.QueryAgeS, &b.XminAge, &r.stateAgeS, &r.sameDB}, func() error {
		r.Workload = e.isWorkload(b.ApplicationName, b.Query)
		all = append(all, r)
		return nil
	})
	if err != nil {
		return activityReading{}, fmt.Errorf("read pg_stat_activity: %w", err)
	}
	a := &runrec.Activity{ByState: map[string]int{}, ByWait: map[string]int{}}
	if v, err := strconv.Atoi(e.info.Settings["max_connections"]); err == nil {
		a.MaxConnections = v
	}
	hidden := false
	for i := range all {
		b := all[i].Backend
		a.Total++
		if b.Query == insufficientPrivilege {
			hidden = true
		}
		state := b.State
		if state == "" {
			state = "unknown"
		}
		a.ByState[state]++
		switch state {
		case "active":
			a.Active++
			w := "CPU"
			if b.WaitEventType != "" {
				w = b.WaitEventType + ":" + b.WaitEvent
			}
			a.ByWait[w]++
			if !b.Workload && all[i].sameDB {
				a.ActiveNonWorkload++
				a.NonWorkload = append(a.NonWorkload, b)
			}
		case "idle in transaction", "idle in transaction (aborted)":
			a.IdleInXact++
			if b.Workload && all[i].stateAgeS > a.WorkloadIdleInXactMaxS {
				a.WorkloadIdleInXactMaxS = all[i].stateAgeS
			}
		}
		if b.XactAgeS > 0 && (a.OldestXact == nil || b.XactAgeS > a.OldestXact.XactAgeS) {
			bb := b
			a.OldestXact = &bb
		}
		// A snapshot in another database holds back this one's tables
		// only up to Postgres 13 (see xmin_holders.sql).
		if b.XminAge > 0 && (all[i].sameDB || !e.perDatabaseHorizon()) && (a.OldestXmin == nil || b.XminAge > a.OldestXmin.XminAge) {
			bb := b
			a.OldestXmin = &bb
		}
	}
	a.NonWorkload = capNonWorkload(a.NonWorkload, a.OldestXmin)
	if hidden && !e.monitor {
		// The data is partial, not missing: a note, not a status.
		e.note("activity: other roles' queries and waits are hidden (<insufficient privilege>); GRANT pg_monitor TO " + e.role)
	}
	return activityReading{activity: a}, nil
}

// capNonWorkload keeps the maxNonWorkload longest-running of bs, longest
// first, and always the backend holding the oldest xmin when it is one of
// them: analysis asks whether that holder was busy on CPU, and with more
// hogs than the cap, an arbitrary cut (the order pg_stat_activity returns)
// left it out and the horizon it held was taken for a cause of its own.
func capNonWorkload(bs []runrec.Backend, oldestXmin *runrec.Backend) []runrec.Backend {
	sort.SliceStable(bs, func(i, j int) bool { return bs[i].QueryAgeS > bs[j].QueryAgeS })
	if len(bs) <= maxNonWorkload {
		return bs
	}
	if oldestXmin != nil {
		for i := maxNonWorkload; i < len(bs); i++ {
			if bs[i].PID == oldestXmin.PID {
				bs[maxNonWorkload-1] = bs[i]
				break
			}
		}
	}
	return bs[:maxNonWorkload:maxNonWorkload]
}

// isWorkload tells whether a session belongs to the measured workload: its
// application_name starts with one of cfg.WorkloadApps, or (observe mode, or
// when no prefixes are given) its query names a queue table.
func (e *env) isWorkload(app, query string) bool {
	for _, p := range e.cfg.WorkloadApps {
		if p != "" && strings.HasPrefix(app, p) {
			return true
		}
	}
	if (len(e.cfg.WorkloadApps) > 0 && !e.cfg.ReadOnly) || query == "" {
		return false
	}
	q := strings.ToLower(query)
	for _, n := range e.queueNames {
		if containsWord(q, n) {
			return true
		}
	}
	for _, s := range e.queueSchemas {
		if qualifies(q, s) {
			return true
		}
	}
	return false
}

// qualifies reports whether s names something in schema ("schema." after
// a non-identifier character): graphile-worker's producers call
// graphile_worker.add_job, pgmq's pgmq.send, naming no table.
func qualifies(s, schema string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], schema+".")
		if j < 0 {
			return false
		}
		if start := i + j; start == 0 || !identChar(s[start-1]) && s[start-1] != '.' {
			return true
		}
		i += j + 1
	}
}

// containsWord reports whether name occurs in s as a whole identifier (so
// that "job" does not match "job_archive" or "river_job").
func containsWord(s, name string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], name)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(name)
		if (start == 0 || !identChar(s[start-1])) && (end == len(s) || !identChar(s[end])) {
			return true
		}
		i = start + 1
	}
}

func identChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
