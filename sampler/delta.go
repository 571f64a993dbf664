package sampler

// diffCounters subtracts prev from cur element-wise (counts, or accumulated
// times in milliseconds). It refuses (ok false) when any counter went down: a
// reset must never become a negative rate.
func diffCounters[T int64 | float64](cur, prev []T) (out []T, ok bool) {
	if len(cur) != len(prev) {
		return nil, false
	}
	out = make([]T, len(cur))
	for i := range cur {
		if cur[i] < prev[i] {
			return nil, false
		}
		out[i] = cur[i] - prev[i]
	}
	return out, true
}

// diffCountsAndTimes diffs a view's counters and its accumulated times
// together, refusing when either went down.
func diffCountsAndTimes(cur, prev []int64, curMs, prevMs []float64) ([]int64, []float64, bool) {
	d, ok := diffCounters(cur, prev)
	if !ok {
		return nil, nil, false
	}
	t, ok := diffCounters(curMs, prevMs)
	if !ok {
		return nil, nil, false
	}
	return d, t, true
}
