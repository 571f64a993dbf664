package report

import (
	"math"
	"strings"
	"time"
)

// sparkWidth is the number of characters of a Markdown sparkline.
const sparkWidth = 60

// sparkRow is one labelled sparkline of the Markdown timeline.
type sparkRow struct {
	Label string
	Line  string
	Range string
}

// timeGrid is the time span every sparkline of one report shares, so a
// column means the same seconds in every row. A column is a whole number of
// seconds (step): one second each when the run fits in sparkWidth columns,
// so no column gets two samples and the next none.
type timeGrid struct {
	t0, t1 time.Time
	width  int
	step   time.Duration
}

func (v *view) grid() timeGrid {
	var t0, t1 time.Time
	extend := func(ts []time.Time) {
		for _, t := range ts {
			if t0.IsZero() || t.Before(t0) {
				t0 = t
			}
			if t1.IsZero() || t.After(t1) {
				t1 = t
			}
		}
	}
	// Samples and workload seconds share one axis, so a chart of either
	// lines up with every other.
	extend(v.TL.T)
	extend(v.TL.ST)
	if t0.IsZero() {
		return timeGrid{}
	}
	t0 = t0.Truncate(time.Second)
	seconds := int(t1.Sub(t0)/time.Second) + 1
	perCol := (seconds + sparkWidth - 1) / sparkWidth
	width := (seconds + perCol - 1) / perCol
	step := time.Duration(perCol) * time.Second
	return timeGrid{t0: t0, t1: t0.Add(time.Duration(width) * step), width: width, step: step}
}

// column1 is the time one character stands for: whole seconds.
func (g timeGrid) column1() time.Duration { return g.step }

// column is the character position of t, or -1 outside the grid.
func (g timeGrid) column(t time.Time) int {
	if g.step <= 0 || t.Before(g.t0) || !t.Before(g.t1) {
		return -1
	}
	return int(t.Sub(g.t0) / g.step)
}

// bucket averages values by the column of their times (NaN ignored).
func (g timeGrid) bucket(ts []time.Time, vals []float64) []float64 {
	sum := make([]float64, g.width)
	n := make([]int, g.width)
	for i, t := range ts {
		c := g.column(t)
		if c < 0 || i >= len(vals) || math.IsNaN(vals[i]) {
			continue
		}
		sum[c] += vals[i]
		n[c]++
	}
	out := make([]float64, g.width)
	for i := range out {
		out[i] = math.NaN()
		if n[i] > 0 {
			out[i] = sum[i] / float64(n[i])
		}
	}
	return out
}

// SparkRows are the Markdown timeline's rows, each over the same time grid.
func (v *view) SparkRows() []sparkRow {
	g := v.grid()
	if g.t0.IsZero() {
		return nil
	}
	var rows []sparkRow
	add := func(label string, ts []time.Time, vals []float64, unit func(float64) string) {
		if !hasData(vals) {
			return
		}
		lo, hi := minMax(vals)
		rows = append(rows, sparkRow{Label: label, Line: sparkline(g.bucket(ts, vals), 0), Range: "min " + unit(lo) + ", max " + unit(hi)})
	}
	tl := v.TL
	add("completed/s", tl.T, tl.Completed, fmtNum)
	add("enqueued/s", tl.T, tl.Enqueued, fmtNum)
	add("queue depth", tl.T, tl.Depth, fmtNum)
	add("p99 latency", tl.T, tl.P99, fmtMs)
	add("lock waits", tl.ST, tl.LockWaits, fmtNum)
	add("WAL/s", tl.ST, tl.WALBytesPS, fmtBytes)
	for _, name := range tl.Tables {
		add("dead tuples "+name, tl.ST, tl.DeadTup[name], fmtNum)
	}
	if len(v.Findings) > 0 {
		rows = append(rows, sparkRow{Label: "findings", Line: v.findingMarks(g), Range: "digit = finding number"})
	}
	if len(tl.Checkpoints) > 0 {
		marks := []rune(strings.Repeat(" ", g.width))
		for _, c := range tl.Checkpoints {
			if col := g.column(c.T); col >= 0 {
				if c.Requested {
					marks[col] = 'R'
				} else if marks[col] != 'R' {
					marks[col] = 'T'
				}
			}
		}
		rows = append(rows, sparkRow{Label: "checkpoints", Line: string(marks), Range: "R requested, T timed"})
	}
	return rows
}

// findingMarks draws each finding's window with its number.
func (v *view) findingMarks(g timeGrid) string {
	marks := []rune(strings.Repeat("·", g.width))
	for i, f := range v.Findings {
		mark := rune('1' + i)
		if i >= 9 {
			mark = rune('a' + i - 9)
		}
		first := g.column(f.Start)
		last := g.column(f.End.Add(-time.Nanosecond))
		if first < 0 {
			first = 0
		}
		if last < 0 || last >= g.width {
			last = g.width - 1
		}
		for c := first; c <= last; c++ {
			marks[c] = mark
		}
	}
	return string(marks)
}

// AxisLine is the time axis under the Markdown timeline.
func (v *view) AxisLine() string {
	g := v.grid()
	if g.t0.IsZero() {
		return ""
	}
	left, right := fmtClock(g.t0), fmtClock(g.t1)
	pad := g.width - len(left) - len(right)
	if pad < 1 {
		return left + " … " + right
	}
	return left + strings.Repeat(" ", pad) + right
}

func minMax(vals []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		if !math.IsNaN(v) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	return lo, hi
}

// TimelineBlock is the Markdown timeline: labelled sparklines over one time
// axis, for a fenced code block.
func (v *view) TimelineBlock() string {
	rows := v.SparkRows()
	if len(rows) == 0 {
		return ""
	}
	w := 0
	for _, r := range rows {
		w = max(w, len([]rune(r.Label)))
	}
	var sb strings.Builder
	for _, r := range rows {
		sb.WriteString(r.Label + strings.Repeat(" ", w-len([]rune(r.Label))) + "  " + r.Line + "  " + r.Range + "\n")
	}
	sb.WriteString(strings.Repeat(" ", w+2) + v.AxisLine() + "\n")
	sb.WriteString(strings.Repeat(" ", w+2) + "(each row's bars run from 0 to its max; one column is " + fmtDur(v.grid().column1()) + ")\n")
	return sb.String()
}
