package recommendations

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/pgqtune/pgqtune/runrec"
)

// configRule recommends server and database settings from the evidence:
// checkpoint sizing, commit cost, xmin horizon guards and work_mem.
func configRule(f *facts, out *output) {
	checkpointConfig(f, out)
	commitConfig(f, out)
	xminConfig(f, out)
	workMemConfig(f, out)
}

// dbName is the database the queue lives in (for ALTER DATABASE).
func (f *facts) dbName() string {
	if f.in.Catalog != nil && f.in.Catalog.Database != "" {
		return f.in.Catalog.Database
	}
	if f.in.Run != nil {
		if _, db, ok := strings.Cut(f.in.Run.Meta.Target, "/"); ok && db != "" {
			return db
		}
	}
	return "postgres"
}

func checkpointConfig(f *facts, out *output) {
	fids := f.findingIDs(runrec.CauseCheckpoint)
	if len(fids) == 0 && f.CheckpointsReqd == 0 {
		return
	}
	cat := f.in.Catalog
	timeout, ok := cat.SettingSeconds("checkpoint_timeout")
	if !ok {
		timeout = 300
	}
	cct, ok := cat.SettingFloat("checkpoint_completion_target")
	if !ok {
		cct = 0.9
	}
	cur, haveCur := cat.SettingBytes("max_wal_size")
	if !haveCur {
		cur = 1 << 30
	}
	// checkpoint_timeout is raised to 15 min when full-page images are a
	// large share of the WAL; max_wal_size is then sized for that interval,
	// not the current one, or the longer timeout would only be reached by
	// WAL-forced checkpoints.
	newTimeout := timeout
	if timeout < 900 && f.CheckpointsTimed+f.CheckpointsReqd > 0 && fpiShare(f) > 0.2 {
		newTimeout = 900
	}
	// The busiest stretch of one checkpoint interval (or the whole run, if
	// shorter) is what max_wal_size must absorb.
	rate := f.maxWALRate(timeout)
	// A checkpoint is requested once WAL since the last one passes
	// max_wal_size / (1 + checkpoint_completion_target).
	perCycle := rate * timeout * (1 + cct)
	forced := perCycle > 0.8*float64(cur)
	if !forced {
		if len(fids) > 0 && f.CheckpointsReqd > 0 {
			out.note("finding(s) %s: %s requested checkpoints, but at most %s of WAL per second would not force any under max_wal_size %s: something else requests them (a manual CHECKPOINT, base backups, CREATE DATABASE); the server log names them with log_checkpoints = on",
				strings.Join(fids, ", "), itoa(f.CheckpointsReqd), fmtBytes(rate), fmtBytes(float64(cur)))
		}
		return
	}
	var sql, rollback, why []string
	if len(fids) > 0 {
		why = append(why, fmt.Sprintf("Finding(s) %s attribute drops to checkpoint pressure.", strings.Join(fids, ", ")))
	}
	why = append(why, fmt.Sprintf("The run wrote up to %s of WAL per second (%s on average) and took %s requested and %s timed checkpoints in %s s.",
		fmtBytes(rate), fmtBytes(f.PerSec(f.WALBytes)), itoa(f.CheckpointsReqd), itoa(f.CheckpointsTimed), fmtNum(f.DurationS)))
	if newTimeout != timeout {
		sql = append(sql, fmt.Sprintf("ALTER SYSTEM SET checkpoint_timeout = '%.0fmin';", newTimeout/60))
		rollback = append(rollback, f.systemRollback("checkpoint_timeout"))
		why = append(why, fmt.Sprintf("Every checkpoint makes the next change to each page write a full-page image; %s FPIs in this run, about %s of the WAL. Checkpoints every %.0f min instead of %s s write fewer of them (crash recovery takes longer).",
			itoa(f.WALFPI), fmtPct(fpiShare(f)), newTimeout/60, fmtNum(timeout)))
	}
	need := f.maxWALRate(newTimeout) * newTimeout * (1 + cct) * 1.5
	if need > float64(cur) {
		v := mbSetting(need)
		sql = append(sql, fmt.Sprintf("ALTER SYSTEM SET max_wal_size = '%s';", v))
		rollback = append(rollback, f.systemRollback("max_wal_size"))
		why = append(why, fmt.Sprintf("At that rate one checkpoint_timeout (%s s, the value recommended here) produces %s; with checkpoint_completion_target %s, max_wal_size must be at least %s (1.5× headroom) for checkpoints to be timed, not forced (now %s).",
			fmtNum(newTimeout), fmtBytes(f.maxWALRate(newTimeout)*newTimeout), fmtNum(cct), v, fmtBytes(float64(cur))))
	}
	if cct < 0.9 {
		sql = append(sql, "ALTER SYSTEM SET checkpoint_completion_target = 0.9;")
		rollback = append(rollback, f.systemRollback("checkpoint_completion_target"))
		why = append(why, fmt.Sprintf("checkpoint_completion_target %s writes each checkpoint in a burst; 0.9 spreads it over the interval.", fmtNum(cct)))
	}
	if fpiShare := fpiShare(f); fpiShare > 0.3 && isOff(cat.SettingString("wal_compression")) {
		// lz4 (and zstd) values exist from PG15; before that the setting is
		// a boolean that means pglz.
		if v := f.serverVersionNum(); v != 0 && v < 150000 {
			sql = append(sql, "ALTER SYSTEM SET wal_compression = on;")
		} else {
			sql = append(sql, "ALTER SYSTEM SET wal_compression = 'lz4';")
		}
		rollback = append(rollback, f.systemRollback("wal_compression"))
		why = append(why, fmt.Sprintf("Full-page images are about %s of the WAL; wal_compression = lz4 shrinks them at a small CPU cost (use 'pglz' if the server lacks lz4).", fmtPct(fpiShare)))
	}
	if len(sql) == 0 {
		return
	}
	sql = append(sql, "SELECT pg_reload_conf();")
	rollback = append(rollback, "SELECT pg_reload_conf();")
	out.add(runrec.Recommendation{
		Kind:           runrec.RecConfig,
		Target:         "server: checkpoints",
		SQL:            strings.Join(sql, "\n"),
		Rationale:      strings.Join(why, " "),
		FindingIDs:     orEmpty(fids),
		ExpectedImpact: "Checkpoints come on schedule instead of being forced by WAL volume; fewer full-page images, less WAL and fewer write bursts stalling commits.",
		Risk:           "pg_wal may grow up to max_wal_size (make sure the disk has room); crash recovery replays more WAL. All of these take effect on reload.",
		Rollback:       strings.Join(rollback, "\n"),
	})
}

// groupCommit is the commit concurrency and WAL flush cost the run measured.
type groupCommit struct {
	// medianWaiters is the median, over samples with any, of the sessions
	// waiting on WAL write/flush at once.
	medianWaiters int
	syncs         int64
	syncMs        float64
}

func measureGroupCommit(f *facts) groupCommit {
	var g groupCommit
	if f.in.Run == nil {
		return g
	}
	var waiters []int
	for i := range f.in.Run.Samples {
		s := &f.in.Run.Samples[i]
		if s.Activity != nil {
			if n := s.Activity.ByWait["LWLock:WALWrite"] + s.Activity.ByWait["IO:WALSync"] + s.Activity.ByWait["IO:WALWrite"]; n > 0 {
				waiters = append(waiters, n)
			}
		}
		if s.WAL != nil {
			g.syncs += s.WAL.Sync
			g.syncMs += s.WAL.SyncTimeMs
		}
	}
	if len(waiters) > 0 {
		sort.Ints(waiters)
		g.medianWaiters = waiters[len(waiters)/2]
	}
	return g
}

// fpiShare estimates the share of WAL bytes that are full-page images
// (about 4 kB each after hole compression).
func fpiShare(f *facts) float64 {
	if f.WALBytes <= 0 {
		return 0
	}
	return math.Min(1, float64(f.WALFPI)*4096/float64(f.WALBytes))
}

func commitConfig(f *facts, out *output) {
	fids := f.findingIDs(runrec.CauseWALWrite)
	if len(fids) == 0 {
		return
	}
	walWaits := f.WaitMax["LWLock:WALWrite"] + f.WaitMax["IO:WALSync"] + f.WaitMax["IO:WALWrite"]
	commitsPerS := f.PerSec(f.Commits)
	db := quoteIdent(f.dbName())
	base := fmt.Sprintf("Finding(s) %s show commits waiting on WAL flush (up to %d sessions at once in WALWrite/WALSync waits; %s commits/s).",
		strings.Join(fids, ", "), walWaits, fmtNum(commitsPerS))
	if gc := measureGroupCommit(f); f.in.Catalog.SettingString("commit_delay") == "0" {
		switch {
		case gc.medianWaiters < 3:
			// One flush rarely has others to share it with: a delay would
			// only add latency.
		case gc.syncs == 0 || gc.syncMs <= 0:
			out.note("finding(s) %s: about %d sessions waited on WAL flush at once, so group commit (commit_delay) could help, but the run did not time WAL syncs (track_wal_io_timing = off): measure the flush time (pg_test_fsync, or track_wal_io_timing) and set commit_delay to about half of it",
				strings.Join(fids, ", "), gc.medianWaiters)
		default:
			// Half a flush: the delay lets the commits arriving during it
			// share the next flush without adding more than it saves.
			delay := int(math.Max(10, math.Min(1000, math.Round(gc.syncMs*1000/float64(gc.syncs)/2))))
			siblings := max(1, gc.medianWaiters-1)
			out.add(runrec.Recommendation{
				Kind:   runrec.RecConfig,
				Target: "server: group commit",
				SQL:    fmt.Sprintf("ALTER SYSTEM SET commit_delay = %d;\nALTER SYSTEM SET commit_siblings = %d;\nSELECT pg_reload_conf();", delay, siblings),
				Rationale: base + fmt.Sprintf(" In the typical second of the run %d sessions waited on WAL flush together, and a WAL sync took %s ms on average (%s syncs). "+
					"commit_delay %d µs (half a sync) lets one flush cover the commits arriving meanwhile instead of each waiting for its own; commit_siblings %d (the sessions measured flushing together, less the one committing) applies it only when that many others have transactions open.",
					gc.medianWaiters, fmtNum(gc.syncMs/float64(gc.syncs)), itoa(gc.syncs), delay, siblings),
				FindingIDs:     fids,
				ExpectedImpact: "Fewer WAL flushes per second and higher commit throughput under concurrency, with no loss of durability.",
				Risk:           fmt.Sprintf("Adds up to %d µs to a commit that finds no one to share its flush with; little effect with fewer concurrent committers than measured here.", delay),
				Rollback:       f.systemRollback("commit_delay") + "\n" + f.systemRollback("commit_siblings") + "\nSELECT pg_reload_conf();",
			})
		}
	}
	out.add(runrec.Recommendation{
		Kind:   runrec.RecConfig,
		Target: "database " + f.dbName() + ": synchronous_commit",
		SQL:    fmt.Sprintf("ALTER DATABASE %s SET synchronous_commit = off;", db),
		Rationale: base + " synchronous_commit = off lets a commit return before its WAL is flushed; the WAL writer flushes it within 3 × wal_writer_delay. " +
			"Scope it to the queue's database (or to the workers' role with ALTER ROLE ... SET) rather than the whole server.",
		FindingIDs:     fids,
		ExpectedImpact: "Commits no longer wait for fsync: enqueue, claim and complete latencies drop and throughput rises where WAL flush was the limit.",
		Risk: "Durability trade-off: a server crash (not a client crash) can lose the last ~600 ms of commits (3 × wal_writer_delay, default 200 ms). " +
			"An enqueue the producer saw succeed may vanish, and a completion may be lost so the job runs again: workers must be idempotent. No corruption; replicas are unaffected in consistency.",
		Rollback: fmt.Sprintf("ALTER DATABASE %s RESET synchronous_commit;", db),
	})
}

func xminConfig(f *facts, out *output) {
	fids := f.findingIDs(runrec.CauseXmin)
	if len(fids) == 0 {
		return
	}
	db := quoteIdent(f.dbName())
	done := map[string]bool{}
	for _, h := range f.XminHolders {
		switch h.Kind {
		case runrec.XminBackendIdleInXact:
			xminIdleInXact(f, out, fids, db, h, done)
		case runrec.XminBackendActive, runrec.XminBackendIdle:
			xminLongSnapshot(f, out, fids, db, h, done)
		case runrec.XminStandby:
			xminStandby(f, out, fids, db, h, done)
		case runrec.XminSlot:
			xminSlot(f, out, fids, db, h, done)
		case runrec.XminPrepared:
			xminPrepared(f, out, fids, db, h, done)
		}
	}
	if len(done) == 0 {
		out.note("xmin_horizon finding(s) %s, but the samples name no holder to act on", strings.Join(fids, ", "))
	}
}

// xminIdleInXact advises on a session idle in transaction: end it now, and
// set idle_in_transaction_session_timeout (and transaction_timeout) so that
// the next one cannot hold the horizon.
// done records what was already advised.
func xminIdleInXact(f *facts, out *output, fids []string, db string, h runrec.XminHolder, done map[string]bool) {
	if done[h.Kind] {
		return
	}
	done[h.Kind] = true
	if h.PID != 0 {
		// The live offender is ended now; the setting below is what
		// keeps the next one from doing the same.
		out.add(runrec.Recommendation{
			Kind:   runrec.RecConfig,
			Target: fmt.Sprintf("session pid %d: immediate action", h.PID),
			SQL: fmt.Sprintf("-- ends pid %d only while it is still idle in transaction (a pid can be reused by a new session):\n"+
				"SELECT pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE pid = %d AND state LIKE 'idle in transaction%%' AND state_change < now() - interval '60 seconds';", h.PID, h.PID),
			Rationale: fmt.Sprintf("Finding(s) %s: pid %d (%s) is idle in transaction and holds the xmin horizon back %s transactions. Ending it lets vacuum proceed at once.",
				strings.Join(fids, ", "), h.PID, orUnknown(h.Name), itoa(h.XminAge)),
			FindingIDs:     fids,
			ExpectedImpact: "The horizon advances immediately and the next vacuum removes the dead tuples it was holding.",
			Risk:           "The session's open transaction is rolled back and its client disconnected.",
			Rollback:       "-- None: the session is gone; its client reconnects.",
		})
	}
	idle, measured := h.IdleS, "sat idle in transaction (now - state_change)"
	if idle <= 0 {
		idle, measured = h.AgeS, "had its transaction open (its idle time was not recorded)"
	}
	gap := workloadIdleGap(f)
	sec, ok := idleTimeoutSeconds(idle, gap)
	if !ok {
		out.note("finding(s) %s: pid %d %s for %s s, but the workload's own sessions sat idle in transaction up to %s s: no idle_in_transaction_session_timeout ends the one without the others; fix the client that holds its transaction open",
			strings.Join(fids, ", "), h.PID, measured, fmtNum(idle), fmtNum(gap))
		return
	}
	timeout := fmtTimeout(sec)
	gapWhy := "the workload's own sessions were never seen idle inside a transaction"
	if gap > 0 {
		gapWhy = fmt.Sprintf("the workload's own sessions sat idle inside a transaction for at most %s s in the run, and the timeout stays at least twice that", fmtNum(gap))
	}
	out.add(runrec.Recommendation{
		Kind:   runrec.RecConfig,
		Target: "database " + f.dbName() + ": idle_in_transaction_session_timeout",
		SQL:    fmt.Sprintf("ALTER DATABASE %s SET idle_in_transaction_session_timeout = '%s';", db, timeout),
		Rationale: fmt.Sprintf("Finding(s) %s: pid %d (%s) %s for %s s holding the xmin horizon back %s transactions, so vacuum could not remove the queue's dead tuples. "+
			"A timeout of %s (never below 60 s) would have ended that session; %s.",
			strings.Join(fids, ", "), h.PID, orUnknown(h.Name), measured, fmtNum(idle), itoa(h.XminAge), timeout, gapWhy),
		FindingIDs:     fids,
		ExpectedImpact: "No session can hold the horizon idle for longer than the timeout; dead tuples become removable and the queue stops degrading.",
		Risk:           "A client that legitimately pauses inside a transaction for longer (interactive sessions, slow batch code) is disconnected and its transaction rolled back. New sessions pick the setting up; existing ones keep theirs.",
		Rollback:       fmt.Sprintf("ALTER DATABASE %s RESET idle_in_transaction_session_timeout;", db),
	})
	transactionTimeout(f, out, fids, h)
}

// xminLongSnapshot advises statement_timeout for a session whose one
// snapshot ran for a minute or more.
// done records what was already advised.
func xminLongSnapshot(f *facts, out *output, fids []string, db string, h runrec.XminHolder, done map[string]bool) {
	if done[runrec.XminBackendActive] || h.AgeS < 60 {
		return
	}
	done[runrec.XminBackendActive] = true
	sec, _ := idleTimeoutSeconds(h.AgeS, 0)
	timeout := fmtTimeout(sec)
	out.add(runrec.Recommendation{
		Kind:   runrec.RecConfig,
		Target: "database " + f.dbName() + ": statement_timeout",
		SQL:    fmt.Sprintf("ALTER DATABASE %s SET statement_timeout = '%s';", db, timeout),
		Rationale: fmt.Sprintf("Finding(s) %s: pid %d (%s) ran one snapshot for %s s (query: %s), holding the xmin horizon back %s transactions. "+
			"Long reports belong on a replica, or under their own role with a longer timeout (ALTER ROLE ... SET statement_timeout).",
			strings.Join(fids, ", "), h.PID, orUnknown(h.Name), fmtNum(h.AgeS), orUnknown(truncate(h.Query, 120)), itoa(h.XminAge)),
		FindingIDs:     fids,
		ExpectedImpact: "Runaway statements end before they hold back vacuum for long.",
		Risk:           "Legitimate long statements in this database (migrations, index builds, reports) fail unless their sessions SET a longer statement_timeout (SET statement_timeout = 0 before CREATE INDEX CONCURRENTLY).",
		Rollback:       fmt.Sprintf("ALTER DATABASE %s RESET statement_timeout;", db),
	})
	transactionTimeout(f, out, fids, h)
}

// xminStandby advises on a standby whose hot_standby_feedback holds the
// horizon.
// done records what was already advised.
func xminStandby(f *facts, out *output, fids []string, db string, h runrec.XminHolder, done map[string]bool) {
	key := "standby:" + h.Name + itoa(int64(h.PID))
	if done[key] || h.XminAge < slotMinXminAge {
		return
	}
	done[key] = true
	standby := orUnknown(h.Name)
	out.add(runrec.Recommendation{
		Kind:   runrec.RecConfig,
		Target: "standby " + standby + ": hot_standby_feedback",
		SQL: fmt.Sprintf("-- on the standby %s (%s), not on this server; first move its long queries elsewhere or accept that they may be cancelled:\n"+
			"ALTER SYSTEM SET hot_standby_feedback = off;\nSELECT pg_reload_conf();", standby, orUnknown(h.Query)),
		Rationale: fmt.Sprintf("Finding(s) %s: standby %s (walsender pid %d) reports through hot_standby_feedback an xmin %s transactions old (pg_stat_replication.backend_xmin): a long query on the standby holds back vacuum of the queue tables on this primary.",
			strings.Join(fids, ", "), standby, h.PID, itoa(h.XminAge)),
		FindingIDs:     fids,
		ExpectedImpact: "The primary's horizon no longer waits for the standby's queries; vacuum removes the queue's dead tuples again.",
		Risk: "Queries on the standby that conflict with cleanup replayed from the primary are cancelled after max_standby_streaming_delay (default 30 s). " +
			"Keep feedback on and instead bound the standby's queries (statement_timeout on the standby) if those queries must not fail.",
		Rollback: "-- on the standby:\nALTER SYSTEM RESET hot_standby_feedback;\nSELECT pg_reload_conf();",
	})
}

// xminSlot advises on a replication slot whose xmin holds the horizon.
// done records what was already advised.
func xminSlot(f *facts, out *output, fids []string, db string, h runrec.XminHolder, done map[string]bool) {
	// A logical slot's catalog_xmin holds back only catalog rows,
	// never a queue table's, so only xmin counts; and a slot just
	// lagging by a few transactions is normal replication.
	key := "slot:" + h.Name
	if done[key] || h.Name == "" || h.XminAge < slotMinXminAge {
		return
	}
	done[key] = true
	sql := fmt.Sprintf("-- only once its consumer (a replica, a CDC pipeline) is known to be gone; an active slot is left alone:\n"+
		"SELECT pg_drop_replication_slot(slot_name) FROM pg_catalog.pg_replication_slots WHERE slot_name = %s AND NOT active;", quoteLiteral(h.Name))
	rollback := fmt.Sprintf("-- A dropped slot cannot be restored: recreate it (pg_create_logical_replication_slot / pg_create_physical_replication_slot(%s)) and re-seed its consumer.", quoteLiteral(h.Name))
	// max_slot_wal_keep_size exists from PG13.
	if v := f.serverVersionNum(); v == 0 || v >= 130000 {
		sql += "\nALTER SYSTEM SET max_slot_wal_keep_size = '10GB';\nSELECT pg_reload_conf();"
		rollback += "\n" + f.systemRollback("max_slot_wal_keep_size") + "\nSELECT pg_reload_conf();"
	}
	out.add(runrec.Recommendation{
		Kind:   runrec.RecConfig,
		Target: "replication slot " + h.Name,
		SQL:    sql,
		Rationale: fmt.Sprintf("Finding(s) %s: replication slot %s holds the xmin horizon back %s transactions, so vacuum cannot remove dead tuples anywhere in the cluster. "+
			"A slot whose consumer is gone holds it forever; max_slot_wal_keep_size bounds what any slot can retain from now on.",
			strings.Join(fids, ", "), h.Name, itoa(h.XminAge)),
		FindingIDs:     fids,
		ExpectedImpact: "Vacuum can remove dead tuples again; pg_wal stops growing for the slot.",
		Risk:           "The slot's consumer (a replica, a CDC pipeline) loses its position and must be re-seeded; max_slot_wal_keep_size invalidates slots that fall further behind.",
		Rollback:       rollback,
	})
}

// xminPrepared advises on a forgotten prepared transaction.
// done records what was already advised.
func xminPrepared(f *facts, out *output, fids []string, db string, h runrec.XminHolder, done map[string]bool) {
	key := "prepared:" + h.Name
	if done[key] || h.Name == "" {
		return
	}
	done[key] = true
	out.add(runrec.Recommendation{
		Kind:   runrec.RecConfig,
		Target: "prepared transaction " + h.Name,
		SQL: fmt.Sprintf("-- in the database it was prepared in, once its coordinator is known to have given it up (COMMIT PREPARED %s instead if it meant to commit):\nROLLBACK PREPARED %s;",
			quoteLiteral(h.Name), quoteLiteral(h.Name)),
		Rationale: fmt.Sprintf("Finding(s) %s: prepared transaction %s has been open %s s and holds the xmin horizon back %s transactions; it survives restarts until its coordinator finishes it. "+
			"SELECT gid, prepared, owner, database FROM pg_prepared_xacts lists it; run the statement in its database (database and owner: %s).",
			strings.Join(fids, ", "), quoteLiteral(h.Name), fmtNum(h.AgeS), itoa(h.XminAge), orUnknown(h.Query)),
		FindingIDs:     fids,
		ExpectedImpact: "The horizon advances and vacuum removes the dead tuples it was holding.",
		Risk:           "If the coordinator still intends to commit it, its work is lost: ask the transaction manager first (COMMIT PREPARED instead if it should commit).",
		Rollback:       "-- None: a rolled-back prepared transaction cannot be restored.",
	})
}

// systemRollback undoes an ALTER SYSTEM SET of name: back to the value the
// snapshot recorded when something had set it (a RESET would drop an
// earlier ALTER SYSTEM value along with ours), RESET when it was the
// default or unknown. pg_settings values are in the setting's base unit,
// which a unitless value is read in.
func (f *facts) systemRollback(name string) string {
	s, ok := f.in.Catalog.setting(name)
	if !ok || s.Source == "" || s.Source == "default" {
		return fmt.Sprintf("ALTER SYSTEM RESET %s;", name)
	}
	return fmt.Sprintf("ALTER SYSTEM SET %s = %s;  -- the value recorded before the change", name, quoteLiteral(s.Value))
}

// slotMinXminAge is how far (in transactions) a slot's xmin must lag before
// it is worth advice: below it the slot is only a replica a little behind.
const slotMinXminAge = 50000

// serverVersionNum is the server_version_num the run or catalog recorded,
// 0 when neither did.
func (f *facts) serverVersionNum() int {
	if f.in.Run != nil && f.in.Run.Meta.ServerVersionNum != 0 {
		return f.in.Run.Meta.ServerVersionNum
	}
	if f.in.Catalog != nil {
		return f.in.Catalog.ServerVersionNum
	}
	return 0
}

// idleTimeoutSeconds sizes a timeout that would have ended a session idle
// (or running) for harmS seconds: half of it, between 60 s (common
// guidance: below that, ordinary client pauses get sessions killed) and
// 10 min, and never below twice the longest idle gap the workload's own
// sessions showed (gapS). ok is false when no value ends the harmful
// session without also ending the workload's.
func idleTimeoutSeconds(harmS, gapS float64) (sec float64, ok bool) {
	floor := math.Max(60, math.Ceil(2*gapS))
	sec = math.Max(floor, math.Min(600, math.Floor(harmS/2)))
	return sec, sec < harmS
}

// idleTimeout is idleTimeoutSeconds for a run with no workload idle gaps,
// rendered as a setting value.
func idleTimeout(harmS float64) string {
	sec, _ := idleTimeoutSeconds(harmS, 0)
	return fmtTimeout(sec)
}

// fmtTimeout renders seconds as a setting value ('90s', '5min').
func fmtTimeout(sec float64) string {
	if sec >= 120 && math.Mod(sec, 60) == 0 {
		return fmt.Sprintf("%.0fmin", sec/60)
	}
	return fmt.Sprintf("%.0fs", sec)
}

// workloadIdleGap is the longest the workload's own sessions sat idle
// inside a transaction in any sample (0 when never, or not recorded).
func workloadIdleGap(f *facts) float64 {
	var gap float64
	if f.in.Run == nil {
		return 0
	}
	for i := range f.in.Run.Samples {
		if a := f.in.Run.Samples[i].Activity; a != nil {
			gap = math.Max(gap, a.WorkloadIdleInXactMaxS)
		}
	}
	return gap
}

// workloadXactMax is the longest transaction a workload session had open in
// any sample (the oldest transaction, when it was the workload's).
func workloadXactMax(f *facts) float64 {
	var m float64
	if f.in.Run == nil {
		return 0
	}
	for i := range f.in.Run.Samples {
		if a := f.in.Run.Samples[i].Activity; a != nil && a.OldestXact != nil && a.OldestXact.Workload {
			m = math.Max(m, a.OldestXact.XactAgeS)
		}
	}
	return m
}

// transactionTimeout adds PG17's transaction_timeout, which bounds a whole
// transaction (a series of short statements, or idle pauses between them,
// that statement_timeout and the idle timeout each miss). It exists from
// PG17 only; once per run.
func transactionTimeout(f *facts, out *output, fids []string, h runrec.XminHolder) {
	if f.serverVersionNum() < 170000 || h.AgeS < 60 {
		return
	}
	for _, r := range out.recs {
		if strings.Contains(r.Target, "transaction_timeout") {
			return
		}
	}
	own := workloadXactMax(f)
	sec, ok := idleTimeoutSeconds(h.AgeS, own)
	if !ok {
		return
	}
	db := quoteIdent(f.dbName())
	timeout := fmtTimeout(sec)
	out.add(runrec.Recommendation{
		Kind:   runrec.RecConfig,
		Target: "database " + f.dbName() + ": transaction_timeout",
		SQL:    fmt.Sprintf("ALTER DATABASE %s SET transaction_timeout = '%s';", db, timeout),
		Rationale: fmt.Sprintf("Finding(s) %s: pid %d (%s) kept one transaction open for %s s. On PostgreSQL 17 transaction_timeout ends any transaction older than %s, however it spends its time; "+
			"the workload's own transactions lasted at most %s s in the run, well below it.",
			strings.Join(fids, ", "), h.PID, orUnknown(h.Name), fmtNum(h.AgeS), timeout, fmtNum(own)),
		FindingIDs:     fids,
		ExpectedImpact: "No transaction in this database holds the xmin horizon for longer than the timeout.",
		Risk:           "Long legitimate transactions (migrations, bulk loads, pg_dump) in this database fail unless their sessions SET a longer transaction_timeout.",
		Rollback:       fmt.Sprintf("ALTER DATABASE %s RESET transaction_timeout;", db),
	})
}

func workMemConfig(f *facts, out *output) {
	var worst *stmtFacts
	for _, s := range f.Statements {
		if s.TempBlksWritten > 0 && s.Calls > 0 && (worst == nil || s.TempBlksWritten > worst.TempBlksWritten) {
			worst = s
		}
	}
	fids := f.findingIDs(runrec.CauseIO)
	if worst == nil || (len(fids) == 0 && f.TempBytes < 64<<20) {
		return
	}
	perCall := float64(worst.TempBlksWritten) * 8192 / float64(worst.Calls)
	cur, _ := f.in.Catalog.SettingBytes("work_mem")
	// An in-memory sort or hash needs roughly twice its on-disk size.
	want := math.Min(1<<30, perCall*2)
	if want <= float64(cur) {
		return
	}
	v := mbSetting(want)
	db := quoteIdent(f.dbName())
	why := fmt.Sprintf("Statement %d (%s) spilled %s to temp files per call over %s calls (%s of temp files in the run, %s files).",
		worst.QueryID, truncate(worst.Text, 100), fmtBytes(perCall), itoa(worst.Calls), fmtBytes(float64(f.TempBytes)), itoa(f.TempFiles))
	if len(fids) > 0 {
		why = fmt.Sprintf("Finding(s) %s show I/O saturation. ", strings.Join(fids, ", ")) + why
	}
	why += fmt.Sprintf(" work_mem is %s; a sort or hash that spilled that much needs about twice it in memory.", fmtBytes(float64(cur)))
	queueStmt := false
	for _, rel := range worst.Relations {
		if _, t, tf := f.resolveTable(rel); t != nil || tf != nil && tf.Queue {
			queueStmt = true
		}
	}
	rec := runrec.Recommendation{
		Kind:           runrec.RecConfig,
		Target:         "database " + f.dbName() + ": work_mem",
		SQL:            fmt.Sprintf("ALTER DATABASE %s SET work_mem = '%s';", db, v),
		Rationale:      why,
		FindingIDs:     orEmpty(fids),
		ExpectedImpact: "The statement sorts/hashes in memory: no temp-file I/O, lower latency.",
		Risk:           fmt.Sprintf("work_mem is per sort/hash node per session: %s × active sessions × nodes must fit in RAM.", v),
		Rollback:       fmt.Sprintf("ALTER DATABASE %s RESET work_mem;", db),
	}
	if !queueStmt || want > 256<<20 {
		// Not the queue's own statement, or too much to grant every
		// session: raise it only where that statement runs.
		rec.Target = "sessions running statement " + itoa(worst.QueryID)
		rec.SQL = fmt.Sprintf("-- in the session (or role) that runs statement %d only:\nSET work_mem = '%s';", worst.QueryID, v)
		rec.Rationale += " It is not the queue's own statement (or needs more than every session should get), so raise work_mem only where it runs (SET in its session, or ALTER ROLE for its role), or give it its own replica."
		rec.Risk = fmt.Sprintf("That session may use %s per sort/hash node; the rest of the server keeps %s.", v, fmtBytes(float64(cur)))
		rec.Rollback = "RESET work_mem;"
	}
	out.add(rec)
}

func orEmpty(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func truncate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
