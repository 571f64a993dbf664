package analyze

// Options are the thresholds of event detection and attribution. The zero
// value is not useful; start from DefaultOptions.
type Options struct {
	// MinDropPct is how far below baseline completed jobs/s must fall, in
	// percent, for a second to count as a drop.
	MinDropPct float64
	// NoiseK widens the drop band to NoiseK robust standard deviations of
	// the baseline when the rate is noisy.
	NoiseK float64
	// MinWindowS is the shortest event kept, in seconds.
	MinWindowS float64
	// MergeGapS merges events separated by at most this many seconds.
	MergeGapS float64
	// LatencyFactor is how many times the baseline p99 a second's p99 must
	// reach to count as a latency event...
	LatencyFactor float64
	// LatencyMinMs ...and by how many milliseconds at least.
	LatencyMinMs float64
	// BacklogFactor is how many times the baseline queue depth (or oldest
	// pending age) counts as a backlog...
	BacklogFactor float64
	// BacklogMinS ...when the backlog is also worth at least this many
	// seconds of baseline throughput (or the oldest job is this old).
	BacklogMinS float64
	// ClaimFactor is how many times its baseline mean the claim statement's
	// mean execution time must reach to count as a slow-down...
	ClaimFactor float64
	// ClaimMinMs ...and by how many milliseconds at least.
	ClaimMinMs float64
	// WarmupS is skipped at the start of runs whose ticks mark no warm-up.
	WarmupS float64
	// TrendMinS is the shortest run in which a slow degradation is looked for.
	TrendMinS float64
	// DeadTupGraceS is how long dead tuples on a queue table may stay above
	// the autovacuum trigger (on top of two autovacuum_naptime periods)
	// before it is a finding.
	DeadTupGraceS float64
	// XminMinAgeS is the age from which a session holding the xmin horizon
	// is suspicious.
	XminMinAgeS float64
	// HotMinUpdates and HotMaxRatio flag a queue table updated at least
	// HotMinUpdates times over a run of at least WholeRunMinS seconds with
	// a HOT ratio under HotMaxRatio.
	HotMinUpdates int64
	HotMaxRatio   float64
	WholeRunMinS  float64
	// MinCauseScore is the score a cause needs to be named; below it the
	// finding's cause is "unknown".
	MinCauseScore float64
	// MaxAlternatives caps the ranked alternatives of a finding.
	MaxAlternatives int
}

// DefaultOptions returns thresholds that keep a steady run free of findings
// on a busy 2-core machine while catching multi-second faults.
func DefaultOptions() Options {
	return Options{
		MinDropPct:      25,
		NoiseK:          3,
		MinWindowS:      3,
		MergeGapS:       5,
		LatencyFactor:   4,
		LatencyMinMs:    50,
		BacklogFactor:   4,
		BacklogMinS:     3,
		ClaimFactor:     3,
		ClaimMinMs:      0.3,
		WarmupS:         3,
		TrendMinS:       180,
		DeadTupGraceS:   8,
		XminMinAgeS:     5,
		HotMinUpdates:   10000,
		HotMaxRatio:     0.05,
		WholeRunMinS:    300,
		MinCauseScore:   0.3,
		MaxAlternatives: 3,
	}
}
