package collect

// diffCounters subtracts prev from cur element-wise. It refuses (ok false)
// when any counter went down: a reset must never become a negative rate.
func diffCounters(cur, prev []int64) (out []int64, ok bool) {
	if len(cur) != len(prev) {
		return nil, false
	}
	out = make([]int64, len(cur))
	for i := range cur {
		if cur[i] < prev[i] {
			return nil, false
		}
		out[i] = cur[i] - prev[i]
	}
	return out, true
}

// diffFloats is diffCounters for accumulated times (milliseconds).
func diffFloats(cur, prev []float64) (out []float64, ok bool) {
	if len(cur) != len(prev) {
		return nil, false
	}
	out = make([]float64, len(cur))
	for i := range cur {
		if cur[i] < prev[i] {
			return nil, false
		}
		out[i] = cur[i] - prev[i]
	}
	return out, true
}
