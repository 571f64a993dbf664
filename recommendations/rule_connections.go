package recommendations

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/pgqtune/pgqtune/runrec"
)

// connectionsRule answers connection_saturation findings: size the
// workers' pool from the backends the run saw busy, put a pooler in front
// (with what transaction pooling breaks), and raise max_connections only
// as a restart-only change of its own.
func connectionsRule(f *facts, out *output) {
	fids := f.findingIDs(runrec.CauseConnections)
	if len(fids) == 0 || f.in.Run == nil {
		return
	}
	var active []int
	peakTotal, maxConn := 0, 0
	for i := range f.in.Run.Samples {
		a := f.in.Run.Samples[i].Activity
		if a == nil {
			continue
		}
		active = append(active, a.Active)
		peakTotal = max(peakTotal, a.Total)
		maxConn = max(maxConn, a.MaxConnections)
	}
	if maxConn == 0 {
		if v, ok := f.in.Catalog.SettingFloat("max_connections"); ok {
			maxConn = int(v)
		}
	}
	if len(active) == 0 {
		out.note("connection_saturation finding(s) %s, but no pg_stat_activity samples to size a pool from", strings.Join(fids, ", "))
		return
	}
	sort.Ints(active)
	p95 := active[min(len(active)-1, int(math.Ceil(0.95*float64(len(active))))-1)]
	pool := max(2, p95+2)
	cited := strings.Join(fids, ", ")
	out.add(runrec.Recommendation{
		Kind:   runrec.RecApplication,
		Target: "connection pool",
		SQL: fmt.Sprintf("-- cap the application's pool (all worker processes together) at about %d connections to this database,\n"+
			"-- or put PgBouncer in front: pool_mode = transaction, default_pool_size = %d", pool, pool),
		Rationale: fmt.Sprintf("Finding(s) %s: clients waited for connections. At most %d sessions were open at once (max_connections %d), but in 95%% of the samples no more than %d were active: the rest held a connection while idle. "+
			"A pool of about %d connections serves the measured concurrency with headroom.",
			cited, peakTotal, maxConn, p95, pool),
		FindingIDs:     fids,
		ExpectedImpact: "Clients stop waiting for a free connection; the server runs fewer idle backends.",
		Risk: "Transaction pooling (PgBouncer pool_mode = transaction) breaks session state: LISTEN/NOTIFY wake-ups (LISTEN needs its own direct session), " +
			"session-level advisory locks (pg_advisory_lock; the xact variants are fine), SET outside a transaction, and, before PgBouncer 1.21, named prepared statements. " +
			"Queue libraries that rely on LISTEN or session advisory locks need a session-mode pool or a direct connection for those.",
		Rollback: "-- Return to the previous pool size / connect directly again.",
	})
	if maxConn > 0 && float64(peakTotal) >= 0.9*float64(maxConn) {
		want := int64(math.Ceil(float64(peakTotal)*1.25/50) * 50)
		out.add(runrec.Recommendation{
			Kind:   runrec.RecConfig,
			Target: "server: max_connections (restart required)",
			SQL:    fmt.Sprintf("ALTER SYSTEM SET max_connections = %d;  -- restart required: a reload does not apply it", want),
			Rationale: fmt.Sprintf("Finding(s) %s: sessions reached %d of max_connections %d. Prefer the pool above; if more sessions are truly needed, %d leaves a quarter of headroom. Restart required.",
				cited, peakTotal, maxConn, want),
			FindingIDs:     fids,
			ExpectedImpact: "After the restart, clients are no longer refused with 'too many clients already' (SQLSTATE 53300).",
			Risk:           "Restart required (a short outage). Each connection costs memory (work_mem per sort, plus a few MB of backend memory) and snapshot overhead for every other session; a pooler is usually the better answer.",
			Rollback:       f.systemRollback("max_connections") + "  -- restart required",
		})
	}
}
