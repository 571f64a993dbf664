package main

import (
	"github.com/spf13/pflag"
)

// progressFlag registers -P/--progress SECONDS, pgbench's spelling, on run
// and observe: both print the same progress line that often.
func progressFlag(f *pflag.FlagSet, every *int) {
	f.IntVarP(every, "progress", "P", 5, "print a progress line every SECONDS (like pgbench -P; -q for none)")
}

// checkProgress rejects a progress interval that is not a whole positive
// number of seconds.
func checkProgress(every int) error {
	if every <= 0 {
		return usageErrorf("--progress must be a positive number of seconds, got %d (use -q for no progress lines)", every)
	}
	return nil
}
