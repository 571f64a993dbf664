package report

import (
	"fmt"
	"image/color"
	"strings"
	"time"

	"gonum.org/v1/plot/vg"

	"github.com/pgqtune/pgqtune/runrec"
)

// Series colours: a colour-blind-safe palette, one meaning per colour.
var (
	colCompleted = rgb(0x1f, 0x77, 0xb4)
	colEnqueued  = rgb(0x9a, 0xa5, 0xb1)
	colTarget    = rgb(0x55, 0x5f, 0x6b)
	colBaseline  = rgb(0x2c, 0xa0, 0x2c)
	colP50       = rgb(0x2c, 0xa0, 0x2c)
	colP95       = rgb(0xff, 0x7f, 0x0e)
	colP99       = rgb(0xd6, 0x27, 0x28)
	colDepth     = rgb(0x94, 0x67, 0xbd)
	colLocks     = rgb(0xd6, 0x27, 0x28)
	colWAL       = rgb(0x17, 0xbe, 0xcf)
	colCkptReq   = rgb(0xd6, 0x27, 0x28)
	colCkptTimed = rgb(0x7f, 0x7f, 0x7f)
	colAutovac   = rgb(0x2c, 0xa0, 0x2c)
	colPhase     = color.NRGBA{R: 0x99, G: 0x99, B: 0x99, A: 0x22}
	tablePalette = []color.Color{rgb(0x8c, 0x56, 0x4b), rgb(0x1f, 0x77, 0xb4), rgb(0xbc, 0xbd, 0x22), rgb(0xe3, 0x77, 0xc2), rgb(0x7f, 0x7f, 0x7f)}
)

func rgb(r, g, b uint8) color.Color { return color.NRGBA{R: r, G: g, B: b, A: 0xff} }

// causeColor gives every cause code its own hue so a reader learns them.
func causeColor(cause string) (fill, ink color.Color) {
	hues := map[string][3]uint8{
		runrec.CauseLock:         {0xd6, 0x27, 0x28},
		runrec.CauseRowLock:      {0xe3, 0x77, 0xc2},
		runrec.CauseXmin:         {0x94, 0x67, 0xbd},
		runrec.CauseVacuumLag:    {0x8c, 0x56, 0x4b},
		runrec.CauseBloat:        {0xbc, 0xbd, 0x22},
		runrec.CauseMissingIndex: {0xff, 0x7f, 0x0e},
		runrec.CauseCheckpoint:   {0x17, 0xbe, 0xcf},
		runrec.CauseWALWrite:     {0x1f, 0x77, 0xb4},
		runrec.CauseCPU:          {0xff, 0x98, 0x96},
		runrec.CauseIO:           {0x2c, 0xa0, 0x2c},
		runrec.CauseConnections:  {0xc5, 0xb0, 0xd5},
		runrec.CauseClientBound:  {0x7f, 0x7f, 0x7f},
		runrec.CauseUnavailable:  {0x00, 0x00, 0x00},
	}
	h, ok := hues[cause]
	if !ok {
		h = [3]uint8{0x99, 0x99, 0x99}
	}
	return color.NRGBA{R: h[0], G: h[1], B: h[2], A: 0x30}, color.NRGBA{R: h[0] / 4 * 3, G: h[1] / 4 * 3, B: h[2] / 4 * 3, A: 0xff}
}

// buildCharts draws every chart the recorded data allows. A chart that
// cannot be drawn carries its error instead of failing the report.
func buildCharts(v *view) []chart {
	g := v.grid()
	if g.t0.IsZero() {
		return nil
	}
	type built struct {
		b *chartBuilder
		c chart
	}
	var all []built
	for _, f := range []func(*view, timeGrid) (*chartBuilder, chart, error){
		throughputChart, latencyChart, depthChart, deadTupleChart, lockChart, waitChart, walChart,
	} {
		b, c := buildChart(v, g, f)
		if b != nil || c.Err != "" {
			all = append(all, built{b, c})
		}
	}
	// Every chart's data area starts where the widest value axis ends, so
	// one instant is at the same x in every chart of the page.
	var left vg.Length
	for _, x := range all {
		if x.b != nil {
			left = max(left, x.b.dataLeft())
		}
	}
	out := make([]chart, 0, len(all))
	for _, x := range all {
		if x.b != nil {
			renderChart(x.b, &x.c, left)
		}
		out = append(out, x.c)
	}
	return out
}

// buildChart runs one chart function, turning a panic inside the plotting
// library into an error on that chart alone.
func buildChart(v *view, g timeGrid, f func(*view, timeGrid) (*chartBuilder, chart, error)) (b *chartBuilder, c chart) {
	defer func() {
		if r := recover(); r != nil {
			b, c.Err = nil, fmt.Sprintf("chart could not be drawn: %v", r)
		}
	}()
	b, c, err := f(v, g)
	if err != nil {
		c.Err = "chart could not be drawn: " + err.Error()
		return nil, c
	}
	if b != nil {
		b.finishAxes()
	}
	return b, c
}

// renderChart draws b into c with its data area starting at left.
func renderChart(b *chartBuilder, c *chart, left vg.Length) {
	defer func() {
		if r := recover(); r != nil {
			c.SVG, c.Err = "", fmt.Sprintf("chart could not be drawn: %v", r)
		}
	}()
	c.Legend = b.legend
	b.title = c.Title
	var err error
	c.SVG, c.Series, err = b.render(left)
	if err != nil {
		c.Err = err.Error()
	}
}

// findingSpans shades each finding's window, labelled with its cause.
func (v *view) findingSpans() spans {
	// Phase labels take the top row when there are any.
	first := 0
	if len(v.phaseSpans()) > 0 {
		first = 1
	}
	var ss spans
	for i, f := range v.Findings {
		fill, ink := causeColor(f.Cause)
		ss = append(ss, span{start: f.Start, end: f.End, label: f.ID + " " + f.Cause, fill: fill, ink: ink, row: first + i%2})
	}
	return ss
}

// phaseSpans shades the warm-up (excluded from every figure) and the
// scenario's pressure phases lightly.
func (v *view) phaseSpans() spans {
	var ss spans
	tl := v.TL
	for i := 0; i < len(tl.Warmup); i++ {
		if !tl.Warmup[i] {
			continue
		}
		j := i
		for j+1 < len(tl.Warmup) && tl.Warmup[j+1] {
			j++
		}
		ss = append(ss, span{start: tl.T[i], end: tl.T[j].Add(time.Second), label: "warm-up", fill: colPhase, ink: colCkptTimed})
		i = j
	}
	for _, p := range v.Rep.Phases {
		if p.Pressure == "" || p.Pressure == "none" {
			continue
		}
		ss = append(ss, span{start: p.Start, end: p.End, fill: colPhase, label: p.Pressure, ink: colCkptTimed})
	}
	return ss
}

// withWindows adds the phase and finding shading under the data series.
func (b *chartBuilder) withWindows(v *view) {
	if ps := v.phaseSpans(); len(ps) > 0 {
		b.add("phases", ps)
	}
	for i, s := range v.findingSpans() {
		b.add("finding-"+safeName(v.Findings[i].ID), spans{s})
	}
}

// findingLegend lists the finding windows under the data series' entries.
func (b *chartBuilder) findingLegend(v *view) {
	for _, f := range v.Findings {
		_, ink := causeColor(f.Cause)
		b.legend = append(b.legend, legendItem{Label: f.ID + " " + f.Cause, Color: cssColor(ink), Window: true})
	}
}

func throughputChart(v *view, g timeGrid) (*chartBuilder, chart, error) {
	c := chart{ID: "throughput", Title: "Throughput", Note: "Completed and enqueued jobs per second; shaded windows are findings, labelled by cause (grey: warm-up and the scenario's pressure phases)."}
	tl := v.TL
	if !hasData(tl.Completed) {
		return nil, c, nil
	}
	b := &chartBuilder{id: c.ID, grid: g, p: newPlot("jobs/s", g)}
	b.withWindows(v)
	if _, err := b.line("enqueued", "enqueued/s", tl.T, tl.Enqueued, colEnqueued, false); err != nil {
		return nil, c, err
	}
	if _, err := b.line("completed", "completed/s", tl.T, tl.Completed, colCompleted, false); err != nil {
		return nil, c, err
	}
	if lo, hi := minMax(tl.Target); hasData(tl.Target) && hi > lo {
		// A constant target is the baseline line again; a ramp or steps
		// is worth drawing.
		if _, err := b.line("target", "target rate/s", tl.T, tl.Target, colTarget, true); err != nil {
			return nil, c, err
		}
	}
	if ms := v.Rep.Throughput.MaxSustainable; ms != nil && *ms > 0 {
		if _, err := b.line("max-sustainable", fmt.Sprintf("max sustainable %s/s", fmtNum(*ms)), []time.Time{g.t0, g.t1}, []float64{*ms, *ms}, colP95, true); err != nil {
			return nil, c, err
		}
	}
	if base := v.Rep.Throughput.Baseline; base > 0 {
		if _, err := b.line("baseline", fmt.Sprintf("baseline %s/s", fmtNum(base)), []time.Time{g.t0, g.t1}, []float64{base, base}, colBaseline, true); err != nil {
			return nil, c, err
		}
	}
	b.findingLegend(v)
	return b, c, nil
}

func latencyChart(v *view, g timeGrid) (*chartBuilder, chart, error) {
	c := chart{ID: "latency", Title: "Latency", Note: "End-to-end latency percentiles of the jobs completed in each second."}
	tl := v.TL
	if !hasData(tl.P99) && !hasData(tl.P50) {
		return nil, c, nil
	}
	b := &chartBuilder{id: c.ID, grid: g, p: newPlot("ms", g)}
	if lo, hi := minMax(positive(tl.P50, tl.P95, tl.P99)); hi/lo >= 30 {
		// A stall's seconds-long p99 would flatten everything else to
		// the axis: spread the decades instead.
		b.logY = true
		b.p.Y.Label.Text = "ms (log scale)"
	}
	b.withWindows(v)
	for _, s := range []struct {
		name string
		vals []float64
		col  color.Color
	}{{"p50", tl.P50, colP50}, {"p95", tl.P95, colP95}, {"p99", tl.P99, colP99}} {
		if _, err := b.line(s.name, s.name, tl.T, s.vals, s.col, false); err != nil {
			return nil, c, err
		}
	}
	return b, c, nil
}

func depthChart(v *view, g timeGrid) (*chartBuilder, chart, error) {
	c := chart{ID: "depth", Title: "Queue depth", Note: "Jobs waiting at the end of each second."}
	if !hasData(v.TL.Depth) {
		return nil, c, nil
	}
	b := &chartBuilder{id: c.ID, grid: g, p: newPlot("jobs", g)}
	b.withWindows(v)
	if _, err := b.line("depth", "jobs waiting", v.TL.T, v.TL.Depth, colDepth, false); err != nil {
		return nil, c, err
	}
	return b, c, nil
}

func deadTupleChart(v *view, g timeGrid) (*chartBuilder, chart, error) {
	c := chart{ID: "deadtuples", Title: "Dead tuples and autovacuum", Note: "n_dead_tup per queue table; vertical ticks mark sampler ticks in which autovacuum finished on that table."}
	tl := v.TL
	if len(tl.Tables) == 0 {
		return nil, c, nil
	}
	b := &chartBuilder{id: c.ID, grid: g, p: newPlot("dead tuples", g)}
	b.withWindows(v)
	for i, name := range tl.Tables {
		col := tablePalette[i%len(tablePalette)]
		if _, err := b.line("deadtup-"+safeName(name), name, tl.ST, tl.DeadTup[name], col, false); err != nil {
			return nil, c, err
		}
		if av := tl.Autovacuums[name]; len(av) > 0 {
			var marks []vmark
			for _, t := range av {
				marks = append(marks, vmark{at: t, label: "av"})
			}
			b.add("autovacuum-"+safeName(name), vmarks{marks: marks, color: col, dashed: true})
			b.addLegend("autovacuum "+name, col, true)
		}
	}
	return b, c, nil
}

func lockChart(v *view, g timeGrid) (*chartBuilder, chart, error) {
	c := chart{ID: "locks", Title: "Lock waits", Note: "Sessions waiting on heavyweight locks (pg_locks, granted = false) at each sampler tick."}
	if !hasData(v.TL.LockWaits) {
		return nil, c, nil
	}
	b := &chartBuilder{id: c.ID, grid: g, p: newPlot("sessions", g)}
	b.withWindows(v)
	if _, err := b.line("lockwaits", "sessions waiting", v.TL.ST, v.TL.LockWaits, colLocks, false); err != nil {
		return nil, c, err
	}
	return b, c, nil
}

// waitColors gives the usual wait event types fixed colours (CPU green
// as in most session-activity views, Lock red, IO blue).
var waitColors = map[string]color.Color{
	"CPU": rgb(0x2c, 0xa0, 0x2c), "Lock": rgb(0xd6, 0x27, 0x28), "LWLock": rgb(0xff, 0x7f, 0x0e),
	"IO": rgb(0x1f, 0x77, 0xb4), "IPC": rgb(0x94, 0x67, 0xbd), "Client": rgb(0x7f, 0x7f, 0x7f),
	"Timeout": rgb(0xbc, 0xbd, 0x22), "BufferPin": rgb(0x8c, 0x56, 0x4b), "Activity": rgb(0x17, 0xbe, 0xcf),
}

func waitChart(v *view, g timeGrid) (*chartBuilder, chart, error) {
	c := chart{ID: "waits", Title: "Active sessions by wait", Note: "Active client sessions at each sampler tick by what they wait on (pg_stat_activity.wait_event_type; CPU: not waiting)."}
	tl := v.TL
	if len(tl.WaitTypes) == 0 {
		return nil, c, nil
	}
	b := &chartBuilder{id: c.ID, grid: g, p: newPlot("sessions", g)}
	b.withWindows(v)
	for i, typ := range tl.WaitTypes {
		col, ok := waitColors[typ]
		if !ok {
			col = tablePalette[i%len(tablePalette)]
		}
		if _, err := b.line("wait-"+safeName(typ), typ, tl.ST, tl.ByWait[typ], col, false); err != nil {
			return nil, c, err
		}
	}
	return b, c, nil
}

func walChart(v *view, g timeGrid) (*chartBuilder, chart, error) {
	c := chart{ID: "wal", Title: "WAL and checkpoints", Note: "WAL bytes written per second; vertical lines mark checkpoints (red dashed: requested, grey: timed)."}
	if !hasData(v.TL.WALBytesPS) {
		return nil, c, nil
	}
	mb := make([]float64, len(v.TL.WALBytesPS))
	for i, x := range v.TL.WALBytesPS {
		mb[i] = x / (1 << 20)
	}
	b := &chartBuilder{id: c.ID, grid: g, p: newPlot("MB/s", g)}
	b.withWindows(v)
	if _, err := b.line("wal", "WAL MB/s", v.TL.ST, mb, colWAL, false); err != nil {
		return nil, c, err
	}
	var req, timed []vmark
	for _, ck := range v.TL.Checkpoints {
		if ck.Requested {
			req = append(req, vmark{at: ck.T, label: "checkpoint (requested)"})
		} else {
			timed = append(timed, vmark{at: ck.T, label: "checkpoint"})
		}
	}
	if len(timed) > 0 {
		b.add("checkpoints-timed", vmarks{marks: timed, color: colCkptTimed})
		b.addLegend("checkpoint (timed)", colCkptTimed, false)
	}
	if len(req) > 0 {
		b.add("checkpoints-requested", vmarks{marks: req, color: colCkptReq, dashed: true})
		b.addLegend("checkpoint (requested)", colCkptReq, true)
	}
	return b, c, nil
}

// positive collects the positive values of the series.
func positive(series ...[]float64) []float64 {
	var out []float64
	for _, s := range series {
		for _, v := range s {
			if v > 0 {
				out = append(out, v)
			}
		}
	}
	return out
}

// safeName makes a name usable in an SVG id and class.
func safeName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}
