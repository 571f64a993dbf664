package report

import (
	"math"
	"strings"
)

var sparkRunes = []rune("▁▂▃▄▅▆▇█")

// sparkline draws values as one line of block characters, width wide at
// most: buckets of consecutive values are averaged, unknown (NaN) buckets
// are a space. The scale runs from 0 (or the minimum, when negative) to the
// maximum, so a drop to half looks like half.
func sparkline(values []float64, width int) string {
	b := buckets(values, width)
	lo, hi := 0.0, math.Inf(-1)
	for _, v := range b {
		if math.IsNaN(v) {
			continue
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	return sparkScaled(b, lo, hi)
}

// sparkScaled draws values (already bucketed) on the scale lo..hi, so two
// series drawn with the same scale can be compared by eye.
func sparkScaled(b []float64, lo, hi float64) string {
	var sb strings.Builder
	for _, v := range b {
		switch {
		case math.IsNaN(v):
			sb.WriteRune(' ')
		case hi <= lo:
			sb.WriteRune(sparkRunes[0])
		default:
			i := int(math.Round((v - lo) / (hi - lo) * float64(len(sparkRunes)-1)))
			sb.WriteRune(sparkRunes[max(0, min(i, len(sparkRunes)-1))])
		}
	}
	return sb.String()
}

// buckets averages values into at most width buckets, ignoring NaN.
func buckets(values []float64, width int) []float64 {
	if width <= 0 || len(values) <= width {
		return values
	}
	out := make([]float64, width)
	for i := range out {
		from, to := i*len(values)/width, (i+1)*len(values)/width
		sum, n := 0.0, 0
		for _, v := range values[from:to] {
			if !math.IsNaN(v) {
				sum += v
				n++
			}
		}
		out[i] = math.NaN()
		if n > 0 {
			out[i] = sum / float64(n)
		}
	}
	return out
}
