package collect_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/pgqtune/pgqtune/analyze/collect"
	"github.com/pgqtune/pgqtune/runrec"
)

// Observing someone else's queue: sample read-only once a second, append
// every sample to the run directory, and turn each into the per-second
// throughput the database saw.
func Example_observe() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := collect.New(ctx, collect.Config{DSN: os.Getenv("PGQTUNE_DSN"), ReadOnly: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	fmt.Println("queue tables:", s.QueueTables())

	samples, err := runrec.NewAppender("samples.jsonl", true)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer samples.Close()
	var prev *runrec.Sample
	err = s.Run(ctx, func(smp runrec.Sample) error {
		t := collect.ObservedTick(prev, &smp)
		prev = &smp
		fmt.Printf("%s completed %d/s, depth %d\n", t.T.Format(time.TimeOnly), t.Completed, t.Depth)
		return samples.Append(smp)
	})
	if err != nil {
		fmt.Println(err)
	}
	for _, n := range s.Notes() {
		fmt.Println("note:", n)
	}
}
