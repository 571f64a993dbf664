package sampler

import (
	"context"
	"testing"

	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/migrations"
	"github.com/pgqtune/pgqtune/runrec"
)

// benchSampler is a sampler on the built-in queue holding a few thousand
// waiting jobs.
func benchSampler(b *testing.B) *Sampler {
	dsn := pgtest.NewDB(b)
	ctx := context.Background()
	if err := migrations.Up(ctx, dsn, "skiplocked", "pgqtune"); err != nil {
		b.Fatal(err)
	}
	pool := pgtest.Pool(b, dsn)
	if _, err := pool.Exec(ctx, `INSERT INTO pgqtune.job (payload) SELECT '{}' FROM generate_series(1, 5000)`); err != nil {
		b.Fatal(err)
	}
	s, err := New(ctx, Config{DSN: dsn, WorkloadApps: []string{"pgqtune-workload"}, HostStats: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	return s
}

// BenchmarkTick measures one whole tick: the sampler's cost per interval,
// server and client together.
func BenchmarkTick(b *testing.B) {
	s := benchSampler(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var smp runrec.Sample
		if err := s.tick(ctx, &smp); err != nil {
			b.Fatal(err)
		}
		if len(smp.Status) > 0 {
			b.Fatalf("status %v", smp.Status)
		}
	}
}

// BenchmarkCollector measures each collector alone, to find the expensive
// one.
func BenchmarkCollector(b *testing.B) {
	s := benchSampler(b)
	ctx := context.Background()
	for _, st := range s.steps(ctx, &readings{}) {
		b.Run(st.c.name(), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := st.read(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
