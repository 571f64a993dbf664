package report

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
)

// niceTicks labels a value axis at 1, 2 or 5 times a power of ten, about
// five labels, with thousands shortened (40k), so the axis reads at a
// glance.
type niceTicks struct{}

// Ticks implements plot.Ticker.
func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	span := hi - lo
	if !(span > 0) || math.IsInf(span, 0) {
		return []plot.Tick{{Value: lo, Label: axisLabel(lo, 1)}}
	}
	raw := span / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var ticks []plot.Tick
	for i := math.Ceil(lo / step); i*step <= hi+step*1e-9; i++ {
		v := i * step
		ticks = append(ticks, plot.Tick{Value: v, Label: axisLabel(v, step)})
		if mid := v + step/2; mid < hi {
			ticks = append(ticks, plot.Tick{Value: mid})
		}
	}
	return ticks
}

// axisLabel prints v with as many decimals as the step needs.
func axisLabel(v, step float64) string {
	if v == 0 {
		return "0"
	}
	switch a := math.Abs(v); {
	case a >= 1e6 && step >= 1e5:
		return strconv.FormatFloat(v/1e6, 'f', decimals(step/1e6), 64) + "M"
	case a >= 1e4 && step >= 1e3:
		return strconv.FormatFloat(v/1e3, 'f', decimals(step/1e3), 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', decimals(step), 64)
}

func decimals(step float64) int {
	if step >= 1 {
		return 0
	}
	return int(math.Ceil(-math.Log10(step) - 1e-9))
}

// logTicks labels a log axis at 1, 2 and 5 times each power of ten.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) {
		return nil
	}
	var ticks []plot.Tick
	for d := math.Floor(math.Log10(lo)); d <= math.Ceil(math.Log10(hi)); d++ {
		for m := 1.0; m < 10; m++ {
			v := m * math.Pow(10, d)
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = axisLabel(v, v)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}
