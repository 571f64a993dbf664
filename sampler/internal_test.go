package sampler

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pgqtune/pgqtune/runrec"
)

func TestContainsWord(t *testing.T) {
	for _, tc := range []struct {
		s, name string
		want    bool
	}{
		{"select * from job where id = 1", "job", true},
		{"update pgqtune.job set state = $1", "job", true},
		{`delete from "job"`, "job", true},
		{"insert into job_archive select 1", "job", false},
		{"select * from river_job", "job", false},
		{"select 1 from jobs", "job", false},
		{"select * from river_job, job", "job", true},
	} {
		if got := containsWord(tc.s, tc.name); got != tc.want {
			t.Errorf("containsWord(%q, %q) = %v", tc.s, tc.name, got)
		}
	}
}

// TestWorkloadBySchema: in observe mode a session calling a library
// queue's functions (graphile-worker's producers, pgmq's senders) is the
// workload, though its query names no queue table; a look-alike schema or
// an application table of the same name is not.
func TestWorkloadBySchema(t *testing.T) {
	e := &env{cfg: Config{ReadOnly: true}}
	e.setQueues([]queueTable{{Name: "graphile_worker._private_jobs", System: SystemGraphileWorker},
		{Name: "public.jobs", System: SystemTable}})
	for _, tc := range []struct {
		query string
		want  bool
	}{
		{"select * from graphile_worker.add_job($1, $2)", true},
		{"SELECT graphile_worker.complete_jobs(array[$1]::bigint[])", true},
		{"select * from my_graphile_worker.add_job($1)", false},
		{"select * from app.graphile_worker.x", false},
		{"select count(*) from generate_series(1, 1e9)", false},
		{"update jobs set state = 'done'", true},
		{"select * from public.report($1)", false},
	} {
		if got := e.isWorkload("node", tc.query); got != tc.want {
			t.Errorf("isWorkload(%q) = %v, want %v", tc.query, got, tc.want)
		}
	}
}

// TestIndexDroppedIsNoReset: dropping an index takes its counts out of
// the table's index sums. That tick keeps the table's own deltas (the seq
// scans a missing index brings) instead of reading as a statistics reset;
// a table counter going down still is one.
func TestIndexDroppedIsNoReset(t *testing.T) {
	var prev, cur tableSnap
	prev.ints[0], prev.ints[2], prev.ints[3], prev.ints[4] = 10, 500, 900, 40
	cur.ints[0], cur.ints[2], cur.ints[3], cur.ints[4] = 13, 20, 30, 45
	d, ok := cur.DiffSince(prev)
	if !ok || d.SeqScan != 3 || d.Ins != 5 || d.IdxScan != 0 || d.IdxTupFetch != 0 {
		t.Errorf("index dropped: ok %v, %+v; want the seq scans and inserts, no index use", ok, d)
	}
	cur.ints[4] = 1
	if _, ok := cur.DiffSince(prev); ok {
		t.Error("inserts went down (pg_stat_reset): want a reset")
	}
}

// TestBridgeDepthGap: a queue whose depth count timed out for three ticks
// behind a table lock. The jobs enqueued meanwhile are in the depth read
// after the gap; the dequeues computed across it add up to what really
// left the queue, not to that plus the gap's inserts.
func TestBridgeDepthGap(t *testing.T) {
	type tick struct{ ins, depth int64 }
	// 100 waiting; 30 + 40 + 50 enqueued during the gap, 60 taken; then
	// 20 enqueued and 80 taken.
	ticks := []tick{{0, 100}, {30, -1}, {40, -1}, {50, 160}, {20, 100}}
	prev, owed, carry, total := int64(-1), int64(0), int64(0), int64(0)
	for i, tk := range ticks {
		if tk.depth >= 0 && prev >= 0 {
			var deq int64
			deq, carry = settle(tk.ins+owed-(tk.depth-prev), carry)
			total += deq
		}
		prev, owed = bridge(prev, tk.depth, owed, tk.ins)
		if i == 2 && (prev != 100 || owed != 70) {
			t.Fatalf("during the gap: reference %d, owed %d; want 100, 70", prev, owed)
		}
	}
	if total != 140 || carry != 0 {
		t.Errorf("dequeued %d (carry %d) across the gap; want 140", total, carry)
	}
}

func TestTruncate(t *testing.T) {
	s := "SELECT 'héllo'"
	for n := 0; n <= len(s); n++ {
		got := truncate(s, n)
		if len(got) > n || !utf8.ValidString(got) {
			t.Errorf("truncate(%q, %d) = %q", s, n, got)
		}
	}
}

func TestAdvance(t *testing.T) {
	t0 := time.Unix(100, 0)
	next, skipped := advance(t0, time.Second, t0.Add(300*time.Millisecond))
	if !next.Equal(t0.Add(time.Second)) || skipped != 0 {
		t.Errorf("on time: next %v skipped %d", next.Sub(t0), skipped)
	}
	next, skipped = advance(t0, time.Second, t0.Add(3500*time.Millisecond))
	if !next.Equal(t0.Add(4*time.Second)) || skipped != 3 {
		t.Errorf("overrun: next %v skipped %d", next.Sub(t0), skipped)
	}
}

func TestSettle(t *testing.T) {
	// Counts that lag behind the depth they are compared with come out
	// as zero first and are paid back later: the total stays exact.
	var carry, total int64
	for _, n := range []int64{5, -3, 2, 4, -1, 1} {
		var out int64
		out, carry = settle(n, carry)
		if out < 0 {
			t.Fatalf("negative tick %d", out)
		}
		total += out
	}
	if total+carry != 8 {
		t.Errorf("total %d + carry %d, want 8", total, carry)
	}
}

func TestSettingNotes(t *testing.T) {
	got := settingNotes(map[string]string{"track_io_timing": "off", "track_counts": "on", "pg_stat_statements.track": "none"})
	if len(got) != 2 || !strings.Contains(got[0], "ALTER SYSTEM SET track_io_timing = on") ||
		!strings.Contains(got[1], "pg_stat_statements.track is none") {
		t.Errorf("notes = %q", got)
	}
}

func TestSlowQueryEvery(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int
	}{{100 * time.Microsecond, 1}, {999 * time.Microsecond, 1}, {8 * time.Millisecond, 8}, {time.Second, 30}} {
		if got := slowQueryEvery(tc.d); got != tc.want {
			t.Errorf("slowQueryEvery(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}

// TestCapNonWorkloadKeepsXminHolder: with more non-workload backends than
// the cap, the list keeps the longest-running ones and the oldest xmin
// holder, whatever order pg_stat_activity returned them in.
func TestCapNonWorkloadKeepsXminHolder(t *testing.T) {
	var bs []runrec.Backend
	for i := 0; i < maxNonWorkload+2; i++ {
		// Query ages rise with the pid.
		bs = append(bs, runrec.Backend{PID: 100 + i, State: "active", QueryAgeS: float64(10 + i)})
	}
	// The holder comes last, with the shortest query of all.
	holder := runrec.Backend{PID: 99, State: "active", QueryAgeS: 1}
	bs = append(bs, holder)
	got := capNonWorkload(bs, &holder)
	if len(got) != maxNonWorkload {
		t.Fatalf("kept %d, want %d", len(got), maxNonWorkload)
	}
	if got[0].PID != 100+maxNonWorkload+1 {
		t.Errorf("first kept pid %d, want the longest-running %d", got[0].PID, 100+maxNonWorkload+1)
	}
	if !slices.ContainsFunc(got, func(b runrec.Backend) bool { return b.PID == holder.PID }) {
		t.Errorf("the xmin holder pid %d was cut from %+v", holder.PID, got)
	}
	for i := 1; i < len(got); i++ {
		if got[i].QueryAgeS > got[i-1].QueryAgeS {
			t.Errorf("not longest first at %d: %+v", i, got)
		}
	}
}
