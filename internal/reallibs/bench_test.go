package reallibs_test

import (
	"context"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/internal/reallibs"
)

// BenchmarkClaimIndex drains a backlog with each library saturated, over
// the same history of rows its claim must skip, without its claim index
// and with it, and reports both in jobs/s: the timings the suite's tests
// only compare.
//
//	go test -run '^$' -bench ClaimIndex -benchtime 2x ./internal/reallibs/
func BenchmarkClaimIndex(b *testing.B) {
	ctx := context.Background()
	for _, c := range cases {
		b.Run(string(c.lib), func(b *testing.B) {
			dsn := pgtest.NewDB(b)
			prepare(b, c.lib, dsn, reallibs.Options{Scheduled: c.scheduled, Retained: c.retained}).Close()
			pool := pgtest.Pool(b, dsn)
			ixs, err := reallibs.ClaimIndexes(ctx, pool, c.lib)
			if err != nil {
				b.Fatal(err)
			}
			var jobs, secs [2]float64
			for i := 0; i < b.N; i++ {
				for with := 0; with < 2; with++ {
					if with == 0 {
						err = reallibs.DropIndexes(ctx, pool, ixs)
					} else {
						for _, ix := range ixs {
							if _, err = pool.Exec(ctx, ix.Def); err != nil {
								break
							}
						}
					}
					if err != nil {
						b.Fatal(err)
					}
					o := c.saturated
					o.Backlog = []int{c.drainWout, c.drainWith}[with]
					o.Jobs, o.Deadline = o.Backlog, 2*time.Minute
					r, err := reallibs.Run(ctx, c.lib, dsn, o)
					if err != nil {
						b.Fatal(err)
					}
					jobs[with] += float64(r.Completed)
					secs[with] += float64(r.DoneAt-r.StartedAt) / 1000
				}
			}
			b.ReportMetric(jobs[0]/secs[0], "jobs/s-without-index")
			b.ReportMetric(jobs[1]/secs[1], "jobs/s-with-index")
			b.ReportMetric(0, "ns/op")
		})
	}
}
