package analyze_test

import (
	"fmt"

	"github.com/pgqtune/pgqtune/analyze"
)

// A recorded run (here a synthetic one: 200 jobs/s, with a session holding
// ACCESS EXCLUSIVE on the queue table from 20 s to 32 s) analyzed without
// a database.
func ExampleAnalyze() {
	s := newSynth(60, 10)
	s.lockTable(20, 32)
	res, err := analyze.Analyze(s.run, analyze.DefaultOptions())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("baseline %.0f jobs/s\n", res.Baseline)
	for _, f := range res.Findings {
		fmt.Println(f.ID, f.Kind, f.Cause, f.PIDs, f.Objects)
	}
	// Output:
	// baseline 200 jobs/s
	// F1 drop lock_contention [4242] [pgqtune.job]
}
