package sqlload

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// slowStats is an adapter whose first Stats call sits 1.5 s (behind a
// lock, say) and whose later calls are instant.
type slowStats struct {
	Adapter
	calls atomic.Int64
}

func (s *slowStats) Stats(ctx context.Context) (QueueStats, error) {
	if s.calls.Add(1) == 1 {
		select {
		case <-ctx.Done():
		case <-time.After(1500 * time.Millisecond):
		}
		return QueueStats{Depth: 7, OldestPendingAge: 5 * time.Second}, nil
	}
	return QueueStats{Depth: 1}, nil
}

// TestStatsCacheNeverStale: a reading that took long (a query behind a
// lock) is reported for statsFresh at most, then the depth is unknown
// until the next query, which waits to keep the counting cost down.
func TestStatsCacheNeverStale(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newStatsCache()
	go c.loop(ctx, &slowStats{})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if st, ok := c.get(); ok && st.Depth == 7 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the slow reading never arrived")
		}
	}
	// The next query waits 4 x 1.5 s: until then the old reading is all
	// there is.
	time.Sleep(statsFresh + 200*time.Millisecond)
	if st, ok := c.get(); ok && st.Depth == 7 {
		t.Fatalf("a reading %v old still stands for the tick: %+v", statsFresh+200*time.Millisecond, st)
	}
}
