package skiplocked_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/internal/adaptertest"
	"github.com/pgqtune/pgqtune/sqlload"
)

func TestSkipLocked(t *testing.T) {
	adaptertest.Run(t, "skiplocked",
		sqlload.Settings{"completion": "delete"},
		sqlload.Settings{"completion": "update", "insert": "copy"},
		sqlload.Settings{"completion": "archive", "insert": "single", "notify": true},
	)
}

// TestSkipLockedExpiry: with expire_after, a job claimed and never finished
// (its worker gone, or the claim's reply lost) goes back to pending after
// that long and comes back from the next claim as a redelivery; a job
// claimed just now is left alone.
func TestSkipLockedExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := adaptertest.Setup(t, "skiplocked", sqlload.Settings{"expire_after": "2s"})
	m, ok := b.Adapter.(sqlload.Maintainer)
	if !ok || m.MaintainEvery() != time.Second {
		t.Fatalf("expire_after 2s: Maintainer %v, every %v; want every second", ok, m.MaintainEvery())
	}
	b.Enqueue(t, b.NewJobs("default", 3))
	lost := b.Claim(t, "default", 2)
	if n, err := m.Maintain(ctx); err != nil || n != 0 {
		t.Fatalf("jobs claimed just now expired: %d, %v", n, err)
	}
	time.Sleep(2500 * time.Millisecond)
	if n, err := m.Maintain(ctx); err != nil || n != 2 {
		t.Fatalf("expired %d jobs (%v), want the 2 claimed 2.5 s ago", n, err)
	}
	again := b.Claim(t, "default", 3)
	redelivered := 0
	for _, j := range again {
		if j.Redelivered {
			redelivered++
			if j.Attempt != 2 {
				t.Errorf("redelivered job %d on attempt %d, want 2", j.Seq, j.Attempt)
			}
		}
	}
	if len(again) != 3 || redelivered != len(lost) {
		t.Fatalf("claimed %d jobs, %d redelivered; want 3 with the 2 expired ones redelivered", len(again), redelivered)
	}
	t.Run("off by default, and a bad value is an error naming it", func(t *testing.T) {
		f, _ := sqlload.LookupAdapter("skiplocked")
		a, err := f(ctx, &sqlload.Config{Schema: "x", Queues: []string{"default"}, Settings: sqlload.Settings{}})
		if err != nil {
			t.Fatal(err)
		}
		if a.(sqlload.Maintainer).MaintainEvery() != 0 {
			t.Error("expiration on without expire_after")
		}
		_, err = f(ctx, &sqlload.Config{Schema: "x", Queues: []string{"default"}, Settings: sqlload.Settings{"expire_after": "100ms"}})
		var se *sqlload.SettingError
		if !errors.As(err, &se) || se.Key != "expire_after" {
			t.Fatalf("expire_after 100ms: %v", err)
		}
	})
}
