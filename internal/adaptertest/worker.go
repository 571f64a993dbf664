package adaptertest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/sqlload"
)

// runWorker is the suite for adapters whose library runs its own workers
// (sqlload.Worker): every job is handled exactly once when it succeeds,
// failed attempts are retried, delayed jobs wait, and Pending accounts for
// whatever is left when the workers stop.
func runWorker(t *testing.T, name string, s sqlload.Settings) {
	ctx := context.Background()

	t.Run("every job is handled once, failures retried", func(t *testing.T) {
		t.Parallel()
		b := Setup(t, name, s)
		w := b.Adapter.(sqlload.Worker)
		const n = 300
		jobs := b.NewJobs("default", n)
		delayed := b.NewJobs("other", 5)
		for i := range delayed {
			delayed[i].RunAt = time.Now().Add(1 * time.Second)
		}
		b.Enqueue(t, jobs)
		b.Enqueue(t, delayed)

		var mu sync.Mutex
		done := map[int64]int{}
		attempts := map[int64]int{}
		var failed, retried int
		all := n + len(delayed)
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		errc := make(chan error, 1)
		go func() {
			errc <- w.Work(wctx, &sqlload.WorkParams{
				Queues:  Queues,
				Workers: 8,
				Handle: func(ctx context.Context, j *sqlload.Job) error {
					mu.Lock()
					defer mu.Unlock()
					attempts[j.Seq]++
					// Every 10th job fails its first attempt.
					if j.Seq%10 == 0 && j.Attempt == 1 {
						return errors.New("simulated failure")
					}
					done[j.Seq]++
					if len(done) == all {
						cancel()
					}
					return nil
				},
				Failed: func(j *sqlload.Job, retry bool) {
					mu.Lock()
					defer mu.Unlock()
					failed++
					if retry {
						retried++
					}
				},
			})
		}()
		select {
		case err := <-errc:
			if err != nil {
				t.Fatalf("work: %v", err)
			}
		case <-time.After(45 * time.Second):
			cancel()
			<-errc
			mu.Lock()
			t.Fatalf("workers handled %d of %d jobs in 45s", len(done), all)
		}
		mu.Lock()
		defer mu.Unlock()
		for seq, c := range done {
			if c != 1 {
				t.Fatalf("seq %d completed %d times", seq, c)
			}
		}
		if len(done) != all {
			t.Fatalf("completed %d of %d jobs", len(done), all)
		}
		if failed != n/10 || retried != n/10 {
			t.Fatalf("failed=%d retried=%d, want %d each", failed, retried, n/10)
		}
		if p := b.Pending(t); len(p) != 0 {
			t.Fatalf("pending after all done = %d jobs", len(p))
		}
	})

	t.Run("pending lists what the workers left", func(t *testing.T) {
		t.Parallel()
		b := Setup(t, name, s)
		jobs := b.NewJobs("default", 20)
		b.Enqueue(t, jobs)
		if p := b.Pending(t); !equal(p, seqsOf(jobs, newSeq)) {
			t.Fatalf("pending = %v, want %v", p, seqsOf(jobs, newSeq))
		}
		st, err := b.Adapter.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Depth != 20 {
			t.Fatalf("depth = %d, want 20", st.Depth)
		}
	})
}
