package adaptertest

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/sqlload"
)

// claimerTests is the suite for adapters driven through Dequeue, Complete
// and Fail: one named function per subtest, each given a fresh database.
var claimerTests = []struct {
	name string
	test func(t *testing.T, b *Bundle)
}{
	{"enqueue, claim and complete round-trip every field", claimerRoundTrip},
	{"every insert method stores the same jobs", claimerInsertMethods},
	{"queues are separate and priority orders claims", claimerQueuesAndPriority},
	{"concurrent claimers never get the same job", claimerConcurrent},
	{"fail with retry-at backs off, then fails for good", claimerFailRetry},
	{"delayed jobs wait for run_at", claimerDelayed},
	{"complete and claim in one transaction", claimerCompleteAndClaim},
	{"lookup finds enqueued jobs in any state", claimerLookup},
}

// runClaimer runs claimerTests in parallel, each in its own database.
func runClaimer(t *testing.T, name string, s sqlload.Settings) {
	for _, c := range claimerTests {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.test(t, Setup(t, name, s))
		})
	}
}

// claimerRoundTrip checks that a job comes back from Dequeue with every
// field it was enqueued with, is handed out once, and that Complete is
// idempotent.
func claimerRoundTrip(t *testing.T, b *Bundle) {
	ctx := context.Background()
	jobs := b.NewJobs("default", 50)
	b.Enqueue(t, jobs)
	st, err := b.Adapter.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Depth != 50 {
		t.Fatalf("depth after enqueue = %d, want 50", st.Depth)
	}
	if st.OldestPendingAge < 0 || st.OldestPendingAge > time.Hour {
		t.Fatalf("oldest pending age = %v", st.OldestPendingAge)
	}
	var got []*sqlload.Job
	for len(got) < 50 {
		js := b.Claim(t, "default", 16)
		if len(js) == 0 {
			t.Fatalf("dequeue returned nothing after %d of 50 jobs", len(got))
		}
		if len(js) > 16 {
			t.Fatalf("dequeue returned %d jobs, limit 16", len(js))
		}
		got = append(got, js...)
	}
	if !equal(seqsOf(got, jobSeq), seqsOf(jobs, newSeq)) {
		t.Fatalf("claimed seqs %v, enqueued %v", seqsOf(got, jobSeq), seqsOf(jobs, newSeq))
	}
	want := map[int64]sqlload.NewJob{}
	for _, j := range jobs {
		want[j.Seq] = j
	}
	for _, j := range got {
		w := want[j.Seq]
		if d := j.IntendedAt.Sub(w.IntendedAt); d < -time.Millisecond || d > time.Millisecond {
			t.Fatalf("seq %d: intended %v, enqueued with %v", j.Seq, j.IntendedAt, w.IntendedAt)
		}
		if j.Attempt != 1 || j.Queue != "default" || j.Redelivered {
			t.Fatalf("seq %d: attempt=%d queue=%q redelivered=%v", j.Seq, j.Attempt, j.Queue, j.Redelivered)
		}
		if j.ReadyAt.IsZero() {
			t.Fatalf("seq %d: ReadyAt not set", j.Seq)
		}
	}
	if js, err := b.Adapter.Dequeue(ctx, &sqlload.DequeueParams{Queue: "default", Limit: 10}); err != nil || len(js) != 0 {
		t.Fatalf("claimed jobs handed out again: %d jobs, err %v", len(js), err)
	}
	if p := b.Pending(t); len(p) != 50 {
		t.Fatalf("pending while in flight = %d, want 50", len(p))
	}
	if err := b.Adapter.Complete(ctx, &sqlload.CompleteParams{Jobs: got}); err != nil {
		t.Fatal(err)
	}
	// Idempotent: completing again (an unknown commit outcome) is a no-op.
	if err := b.Adapter.Complete(ctx, &sqlload.CompleteParams{Jobs: got}); err != nil {
		t.Fatalf("second complete: %v", err)
	}
	if p := b.Pending(t); len(p) != 0 {
		t.Fatalf("pending after complete = %v", p)
	}
	st, err = b.Adapter.Stats(ctx)
	if err != nil || st.Depth != 0 || st.OldestPendingAge != 0 {
		t.Fatalf("stats after complete = %+v, err %v", st, err)
	}
	if js, err := b.Adapter.Dequeue(ctx, &sqlload.DequeueParams{Queue: "default", Limit: 10}); err != nil || len(js) != 0 {
		t.Fatalf("completed jobs handed out again: %d jobs, err %v", len(js), err)
	}
}

// claimerInsertMethods checks that single-row, multi-row and COPY inserts
// store the same jobs (an adapter may not support some).
func claimerInsertMethods(t *testing.T, b *Bundle) {
	ctx := context.Background()
	var all []sqlload.NewJob
	for _, m := range []sqlload.InsertMethod{sqlload.InsertSingle, sqlload.InsertMultiRow, sqlload.InsertCopy} {
		jobs := b.NewJobs("default", 7)
		err := b.Adapter.Enqueue(ctx, &sqlload.EnqueueParams{Jobs: jobs, Method: m})
		if errors.Is(err, sqlload.ErrUnsupported) {
			t.Logf("insert method %s: %v", m, err)
			continue
		}
		if err != nil {
			t.Fatalf("insert method %s: %v", m, err)
		}
		all = append(all, jobs...)
	}
	if !equal(b.Pending(t), seqsOf(all, newSeq)) {
		t.Fatalf("pending %v, enqueued %v", b.Pending(t), seqsOf(all, newSeq))
	}
}

// claimerQueuesAndPriority checks that queues do not mix and that a lower
// priority is claimed first.
func claimerQueuesAndPriority(t *testing.T, b *Bundle) {
	other := b.NewJobs("other", 3)
	b.Enqueue(t, other)
	jobs := b.NewJobs("default", 6)
	for i := range jobs {
		jobs[i].Priority = int16(5 - i) // the last enqueued is the most urgent
	}
	b.Enqueue(t, jobs)
	js := b.Claim(t, "default", 2)
	if len(js) != 2 || !equal(seqsOf(js, jobSeq), []int64{jobs[4].Seq, jobs[5].Seq}) {
		t.Fatalf("claimed %v, want the two lowest priorities %d and %d", seqsOf(js, jobSeq), jobs[5].Seq, jobs[4].Seq)
	}
	js = b.Claim(t, "other", 10)
	if !equal(seqsOf(js, jobSeq), seqsOf(other, newSeq)) {
		t.Fatalf("queue other gave %v, want %v", seqsOf(js, jobSeq), seqsOf(other, newSeq))
	}
}

// claimerConcurrent runs eight claimers on 2000 jobs and checks that none is
// claimed twice and none is left.
func claimerConcurrent(t *testing.T, b *Bundle) {
	ctx := context.Background()
	const n, workers = 2000, 8
	jobs := b.NewJobs("default", n)
	for i := 0; i < n; i += 500 {
		b.Enqueue(t, jobs[i:i+500])
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for empty := 0; empty < 3; {
				js, err := b.Adapter.Dequeue(ctx, &sqlload.DequeueParams{Queue: "default", Limit: 10})
				if err != nil {
					errs <- err
					return
				}
				if len(js) == 0 {
					empty++
					continue
				}
				mu.Lock()
				for _, j := range js {
					seen[j.Seq]++
				}
				mu.Unlock()
				if err := b.Adapter.Complete(ctx, &sqlload.CompleteParams{Jobs: js}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for seq, c := range seen {
		if c != 1 {
			t.Fatalf("seq %d claimed %d times", seq, c)
		}
	}
	if len(seen) != n {
		t.Fatalf("claimed %d distinct jobs, want %d", len(seen), n)
	}
	if p := b.Pending(t); len(p) != 0 {
		t.Fatalf("%d jobs still pending", len(p))
	}
}

// claimerFailRetry checks that Fail with RetryAt hides the job until then,
// that a stale Fail of an earlier attempt changes nothing, and that Fail
// without RetryAt ends the job.
func claimerFailRetry(t *testing.T, b *Bundle) {
	ctx := context.Background()
	jobs := b.NewJobs("default", 1)
	b.Enqueue(t, jobs)
	claim := func() []*sqlload.Job {
		js := b.Claim(t, "default", 5)
		return js
	}
	js := claim()
	if len(js) != 1 {
		t.Fatalf("claimed %d jobs, want 1", len(js))
	}
	fp := &sqlload.FailParams{Jobs: js, RetryAt: time.Now().Add(700 * time.Millisecond), Error: "simulated"}
	if err := b.Adapter.Fail(ctx, fp); err != nil {
		t.Fatal(err)
	}
	if err := b.Adapter.Fail(ctx, fp); err != nil {
		t.Fatalf("second fail (idempotent): %v", err)
	}
	if again := claim(); len(again) != 0 {
		t.Fatalf("job in backoff was claimed at once (attempt %d)", again[0].Attempt)
	}
	st, err := b.Adapter.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Depth != 0 || st.Scheduled != 1 {
		t.Fatalf("stats in backoff = %+v, want depth 0, scheduled 1", st)
	}
	if p := b.Pending(t); !equal(p, []int64{jobs[0].Seq}) {
		t.Fatalf("pending in backoff = %v", p)
	}
	var retried []*sqlload.Job
	if !eventually(10*time.Second, func() bool { retried = claim(); return len(retried) > 0 }) {
		t.Fatal("job never came back after its backoff")
	}
	if retried[0].Seq != jobs[0].Seq || retried[0].Attempt != 2 {
		t.Fatalf("retry: seq %d attempt %d, want seq %d attempt 2", retried[0].Seq, retried[0].Attempt, jobs[0].Seq)
	}
	// A stale Fail for attempt 1 must not touch attempt 2.
	if err := b.Adapter.Fail(ctx, fp); err != nil {
		t.Fatal(err)
	}
	if p := b.Pending(t); len(p) != 1 {
		t.Fatalf("pending after stale fail = %v", p)
	}
	if again := claim(); len(again) != 0 {
		t.Fatal("a stale Fail of an earlier attempt released the job")
	}
	if err := b.Adapter.Fail(ctx, &sqlload.FailParams{Jobs: retried, Error: "for good"}); err != nil {
		t.Fatal(err)
	}
	if p := b.Pending(t); len(p) != 0 {
		t.Fatalf("pending after final fail = %v", p)
	}
	time.Sleep(800 * time.Millisecond)
	if again := claim(); len(again) != 0 {
		t.Fatal("a job failed for good was claimed again")
	}
}

// claimerDelayed checks that a job with RunAt in the future is neither
// counted in depth nor claimed before then.
func claimerDelayed(t *testing.T, b *Bundle) {
	ctx := context.Background()
	now := b.NewJobs("default", 2)
	later := b.NewJobs("default", 3)
	for i := range later {
		later[i].RunAt = time.Now().Add(1500 * time.Millisecond)
	}
	b.Enqueue(t, append(now, later...))
	st, err := b.Adapter.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Depth != 2 || st.Scheduled != 3 {
		t.Fatalf("stats = %+v, want depth 2 scheduled 3", st)
	}
	js := b.Claim(t, "default", 10)
	if !equal(seqsOf(js, jobSeq), seqsOf(now, newSeq)) {
		t.Fatalf("claimed %v before run_at, want only %v", seqsOf(js, jobSeq), seqsOf(now, newSeq))
	}
	if err := b.Adapter.Complete(ctx, &sqlload.CompleteParams{Jobs: js}); err != nil {
		t.Fatal(err)
	}
	if p := b.Pending(t); !equal(p, seqsOf(later, newSeq)) {
		t.Fatalf("pending = %v, want the delayed %v", p, seqsOf(later, newSeq))
	}
	var got []*sqlload.Job
	ok := eventually(10*time.Second, func() bool {
		js := b.Claim(t, "default", 10)
		got = append(got, js...)
		return len(got) == len(later)
	})
	if !ok || !equal(seqsOf(got, jobSeq), seqsOf(later, newSeq)) {
		t.Fatalf("delayed jobs claimed %v, want %v", seqsOf(got, jobSeq), seqsOf(later, newSeq))
	}
	for _, j := range got {
		if j.ReadyAt.Before(later[0].RunAt.Add(-time.Millisecond)) {
			t.Fatalf("ReadyAt %v is before run_at %v", j.ReadyAt, later[0].RunAt)
		}
	}
}

// claimerCompleteAndClaim checks CompleteAndClaim, for adapters that have
// it: one transaction, no job claimed again, idempotent.
func claimerCompleteAndClaim(t *testing.T, b *Bundle) {
	ctx := context.Background()
	cc, ok := b.Adapter.(sqlload.CompleteClaimer)
	if !ok {
		t.Skip("adapter cannot complete and claim together")
	}
	jobs := b.NewJobs("default", 5)
	b.Enqueue(t, jobs)
	first := b.Claim(t, "default", 2)
	if len(first) != 2 {
		t.Fatalf("claimed %d jobs, want 2", len(first))
	}
	next, err := cc.CompleteAndClaim(ctx, &sqlload.CompleteParams{Jobs: first}, &sqlload.DequeueParams{Queue: "default", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(next) != 2 {
		t.Fatalf("claimed %d jobs with the completion, want 2", len(next))
	}
	for _, j := range next {
		for _, f := range first {
			if j.Seq == f.Seq {
				t.Fatalf("job %d claimed again after it was completed", j.Seq)
			}
		}
	}
	want := []int64{jobs[4].Seq}
	for _, j := range next {
		want = append(want, j.Seq)
	}
	sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
	if got := b.Pending(t); !equal(got, want) {
		t.Fatalf("pending after complete-and-claim = %v, want %v (the claimed two and the one left)", got, want)
	}
	// Idempotent like Complete: completing the first batch again and
	// claiming from an empty queue changes nothing and returns nothing.
	again, err := cc.CompleteAndClaim(ctx, &sqlload.CompleteParams{Jobs: first}, &sqlload.DequeueParams{Queue: "other", Limit: 2})
	if err != nil || len(again) != 0 {
		t.Fatalf("repeat: %d jobs, %v", len(again), err)
	}
	if got := b.Pending(t); !equal(got, want) {
		t.Fatalf("pending after the repeat = %v, want %v", got, want)
	}
}

// claimerLookup checks Lookup, for adapters that have it: enqueued jobs are
// found whatever their state, unknown seqs are not.
func claimerLookup(t *testing.T, b *Bundle) {
	ctx := context.Background()
	l, ok := b.Adapter.(sqlload.Lookuper)
	if !ok {
		t.Skip("adapter has no Lookup")
	}
	jobs := b.NewJobs("default", 4)
	b.Enqueue(t, jobs)
	js := b.Claim(t, "default", 1)
	if len(js) != 1 {
		t.Fatalf("claimed %d jobs, want 1", len(js))
	}
	found, err := l.Lookup(ctx, []int64{jobs[0].Seq, jobs[3].Seq, 999999})
	if err != nil {
		t.Fatal(err)
	}
	if !equal(seqsOf(found, func(x int64) int64 { return x }), []int64{jobs[0].Seq, jobs[3].Seq}) {
		t.Fatalf("lookup = %v, want %d and %d", found, jobs[0].Seq, jobs[3].Seq)
	}
}
