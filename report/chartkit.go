package report

import (
	"bytes"
	"cmp"
	"fmt"
	"html"
	"html/template"
	"image/color"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// chart is one rendered SVG chart of report.html.
type chart struct {
	ID    string
	Title string
	Note  string
	SVG   template.HTML
	// Series are the data-series names drawn (each an SVG group with
	// class "series" and that data-series attribute).
	Series []string
	// Legend is drawn by the page above the chart, where it never covers
	// the data or the finding labels.
	Legend []legendItem
	Err    string
}

// legendItem is one entry of a chart's legend.
type legendItem struct {
	Label  string
	Color  template.CSS
	Dashed bool
	// Window is a shaded time window (a finding) rather than a line.
	Window bool
}

func cssColor(c color.Color) template.CSS {
	r, g, b, _ := c.RGBA()
	return template.CSS(fmt.Sprintf("#%02x%02x%02x", r>>8, g>>8, b>>8))
}

// sansFont is metric-compatible with Arial, so a browser without the
// Liberation fonts lays text out as gonum measured it.
var sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

// newPlot is a plot with pgqtune's look: sans-serif text, light grid, a time
// axis shared by every chart of the report.
func newPlot(yLabel string, g timeGrid) *plot.Plot {
	// The page's heading names the chart; a second title inside the SVG
	// would only take height.
	p := plot.New()
	p.Y.Label.Text = yLabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sansFont, 9)
		a.Tick.Label.Font = font.From(sansFont, 8)
		a.LineStyle.Color = color.Gray{Y: 150}
		a.Tick.LineStyle.Color = color.Gray{Y: 150}
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 232}
	grid.Horizontal.Color = color.Gray{Y: 232}
	p.Add(grid)
	p.X.Tick.Marker = clockTicks{}
	p.Y.Tick.Marker = niceTicks{}
	p.X.Min, p.X.Max = unixSec(g.t0), unixSec(g.t1)
	p.Y.Min = 0
	return p
}

func unixSec(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// clockTicks labels a time axis (unix seconds) with UTC clock times at a
// round step.
type clockTicks struct{}

// Ticks implements plot.Ticker.
func (clockTicks) Ticks(lo, hi float64) []plot.Tick {
	span := hi - lo
	step := 3600.0
	for _, s := range []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600} {
		if span/s <= 8 {
			step = s
			break
		}
	}
	var ticks []plot.Tick
	for t := math.Ceil(lo/step) * step; t <= hi; t += step {
		label := time.Unix(int64(t), 0).UTC().Format("15:04:05")
		if hi-t < span*0.04 || t-lo < span*0.04 && t != lo {
			// A label centred on the very edge would be cut off.
			label = ""
		}
		ticks = append(ticks, plot.Tick{Value: t, Label: label})
	}
	return ticks
}

// xy turns a series into line segments split at unknown values (plotter
// refuses NaN, and a gap is the honest picture of a missing sample).
func xy(ts []time.Time, vals []float64) []plotter.XYs {
	var out []plotter.XYs
	var cur plotter.XYs
	for i, t := range ts {
		if i >= len(vals) || math.IsNaN(vals[i]) || math.IsInf(vals[i], 0) {
			if len(cur) > 0 {
				out = append(out, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, plotter.XY{X: unixSec(t), Y: vals[i]})
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// series is one named data series: its plotters are drawn inside one SVG
// group so the browser (and tests) can find it.
type series struct {
	name  string
	id    int
	parts []plot.Plotter
}

// sentinel is the no-op translation that marks a series' group in the SVG
// stream: vgsvg offers no way to name a group, so each series opens one with
// a unique, invisible offset that svgChart then rewrites into a class.
func sentinel(id int) vg.Length { return vg.Length(float64(id) * 1e-7) }

// Plot implements plot.Plotter.
func (s *series) Plot(c draw.Canvas, p *plot.Plot) {
	c.Push()
	c.Translate(vg.Point{X: sentinel(s.id)})
	for _, part := range s.parts {
		part.Plot(c, p)
	}
	c.Pop()
}

// DataRange implements plot.DataRanger over the parts that have one.
func (s *series) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, part := range s.parts {
		if dr, ok := part.(plot.DataRanger); ok {
			a, b, c, d := dr.DataRange()
			xmin, xmax = math.Min(xmin, a), math.Max(xmax, b)
			ymin, ymax = math.Min(ymin, c), math.Max(ymax, d)
		}
	}
	return xmin, xmax, ymin, ymax
}

// chartBuilder collects one chart's series.
type chartBuilder struct {
	id     string
	title  string
	grid   timeGrid
	p      *plot.Plot
	series []*series
	legend []legendItem
	// logY draws the value axis on a log scale (latency spanning decades);
	// yLo is then the smallest positive value drawn.
	logY bool
	yLo  float64
	// hovers are where the points of the lines landed in the last render,
	// each with its tooltip text.
	hovers []hover
}

// hover is one point of a line as drawn: SVG coordinates and the text the
// browser shows when the pointer rests on it (an SVG <title>).
type hover struct {
	X, Y vg.Length
	Text string
}

// maxHoversPerSeries bounds the tooltips of one line: a long run would
// otherwise add thousands of elements; every k-th second is enough to read
// values off a line.
const maxHoversPerSeries = 240

// hoverMarks is an invisible plotter that records where each point of a
// line lands when the chart is drawn, so render can put a tooltip there.
type hoverMarks struct {
	b      *chartBuilder
	pts    plotter.XYs
	labels []string
}

// Plot implements plot.Plotter: it draws nothing and records positions.
func (h *hoverMarks) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for i, pt := range h.pts {
		h.b.hovers = append(h.b.hovers, hover{X: trX(pt.X), Y: trY(pt.Y), Text: h.labels[i]})
	}
}

// hoverFor picks up to maxHoversPerSeries points of segs and labels each
// "15:04:05 · label: value unit".
func (b *chartBuilder) hoverFor(label string, segs []plotter.XYs) *hoverMarks {
	n := 0
	for _, seg := range segs {
		n += len(seg)
	}
	every := max(1, (n+maxHoversPerSeries-1)/maxHoversPerSeries)
	h := &hoverMarks{b: b}
	unit := b.p.Y.Label.Text
	k := 0
	for _, seg := range segs {
		for _, pt := range seg {
			if k%every == 0 {
				ts := time.Unix(0, int64(pt.X*1e9)).UTC().Format("15:04:05")
				h.pts = append(h.pts, pt)
				h.labels = append(h.labels, strings.TrimSpace(fmt.Sprintf("%s · %s: %s %s", ts, label, fmtNum(pt.Y), unit)))
			}
			k++
		}
	}
	return h
}

// hoverSVG is the tooltips as invisible circles, drawn last so they are on
// top; height flips vg's upward y into SVG's downward y.
func hoverSVG(hs []hover, height vg.Length) string {
	if len(hs) == 0 {
		return ""
	}
	var sb strings.Builder
	sb.WriteString(`<g class="hover" style="fill:transparent;stroke:none">`)
	for _, h := range hs {
		fmt.Fprintf(&sb, `<circle cx="%.1f" cy="%.1f" r="4"><title>%s</title></circle>`,
			h.X.Points(), (height - h.Y).Points(), html.EscapeString(h.Text))
	}
	sb.WriteString("</g>\n")
	return sb.String()
}

func (b *chartBuilder) addLegend(label string, clr color.Color, dashed bool) {
	b.legend = append(b.legend, legendItem{Label: label, Color: cssColor(clr), Dashed: dashed})
}

func (b *chartBuilder) add(name string, parts ...plot.Plotter) *series {
	s := &series{name: name, id: len(b.series) + 1, parts: parts}
	b.series = append(b.series, s)
	b.p.Add(s)
	return s
}

// line adds a line series; it returns false when there was nothing to draw.
func (b *chartBuilder) line(name, legend string, ts []time.Time, vals []float64, clr color.Color, dashed bool) (bool, error) {
	if b.logY {
		// A log axis has no place for zero: such seconds become gaps.
		pos := make([]float64, len(vals))
		for i, v := range vals {
			pos[i] = knownOrNaN(v, v > 0)
			if v > 0 && (b.yLo == 0 || v < b.yLo) {
				b.yLo = v
			}
		}
		vals = pos
	}
	segs := xy(ts, vals)
	if len(segs) == 0 {
		return false, nil
	}
	var parts []plot.Plotter
	for _, seg := range segs {
		l, err := plotter.NewLine(seg)
		if err != nil {
			return false, fmt.Errorf("series %s: %w", name, err)
		}
		l.LineStyle.Color = clr
		l.LineStyle.Width = vg.Points(1.4)
		if dashed {
			l.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		if len(seg) == 1 {
			// A lone point has no line to draw: show it as a dot.
			sc, err := plotter.NewScatter(seg)
			if err != nil {
				return false, fmt.Errorf("series %s: %w", name, err)
			}
			sc.GlyphStyle.Color = clr
			sc.GlyphStyle.Radius = vg.Points(1.5)
			parts = append(parts, sc)
		}
		parts = append(parts, l)
	}
	if !dashed {
		// Reference lines (dashed: baseline, target) carry their value in
		// the legend; data lines get a tooltip on each point.
		parts = append(parts, b.hoverFor(cmp.Or(legend, name), segs))
	}
	b.add(name, parts...)
	if legend != "" {
		b.addLegend(legend, clr, dashed)
	}
	return true, nil
}

// svgWidth and svgHeight are the charts' drawing size; the page scales them
// to its width through the viewBox.
const (
	svgWidth  = 10 * vg.Inch
	svgHeight = 2.6 * vg.Inch
)

var (
	xmlHeader = regexp.MustCompile(`(?s)^<\?xml[^>]*\?>\s*(<!--.*?-->\s*)?`)
	groupMark = regexp.MustCompile(`<g transform="translate\(([0-9.]+e-0[0-9]), 0\)">`)
	svgOpen   = regexp.MustCompile(`<svg width="[^"]*" height="[^"]*"`)
)

// finishAxes settles the value axis once all series are added.
func (b *chartBuilder) finishAxes() {
	// Every chart spans the same time, whatever its own data covers.
	b.p.X.Min, b.p.X.Max = unixSec(b.grid.t0), unixSec(b.grid.t1)
	if b.logY && b.yLo > 0 {
		b.p.Y.Scale = plot.LogScale{}
		b.p.Y.Tick.Marker = logTicks{}
		b.p.Y.Min = b.yLo / 1.5
		// Headroom for the finding labels, on a log scale.
		b.p.Y.Max = math.Max(b.p.Y.Max, b.yLo) * 2.5
		return
	}
	if b.p.Y.Max <= b.p.Y.Min {
		// An all-zero series would collapse the axis to a point.
		b.p.Y.Max = b.p.Y.Min + 1
	}
	// Headroom above the data keeps the finding labels (at the top) off
	// the lines.
	b.p.Y.Max += (b.p.Y.Max - b.p.Y.Min) * 0.22
}

// dataLeft is where the data area starts when the plot fills the canvas:
// the width of its value axis.
func (b *chartBuilder) dataLeft() vg.Length {
	c := vgsvg.New(svgWidth, svgHeight)
	return b.p.DataCanvas(draw.New(c)).Min.X
}

// render draws the chart to an SVG element ready to inline in HTML, its
// data area starting at left (at least its own axis width).
func (b *chartBuilder) render(left vg.Length) (template.HTML, []string, error) {
	c := vgsvg.New(svgWidth, svgHeight)
	dc := draw.New(c)
	dc.Min.X += max(0, left-b.dataLeft())
	b.hovers = b.hovers[:0]
	b.p.Draw(dc)
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", nil, fmt.Errorf("chart %s: write SVG: %w", b.id, err)
	}
	byID := map[string]*series{}
	for _, s := range b.series {
		byID[strconv.FormatFloat(sentinel(s.id).Points(), 'g', 5, 64)] = s
	}
	var names []string
	out := groupMark.ReplaceAllStringFunc(buf.String(), func(m string) string {
		s := byID[groupMark.FindStringSubmatch(m)[1]]
		if s == nil {
			return m
		}
		names = append(names, s.name)
		return fmt.Sprintf(`<g class="series" data-series="%s" id="%s-%s">`, s.name, b.id, s.name)
	})
	out = xmlHeader.ReplaceAllString(out, "")
	if i := strings.LastIndex(out, "</svg>"); i >= 0 {
		out = out[:i] + hoverSVG(b.hovers, svgHeight) + out[i:]
	}
	out = svgOpen.ReplaceAllString(out, fmt.Sprintf(`<svg class="chart" id="chart-%s" role="img" aria-label="%s"`, b.id, html.EscapeString(b.title)))
	out = strings.ReplaceAll(out, "font-family:Liberation Sans;", "font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")
	// The markup is produced here from numbers and our own labels (escaped
	// by vgsvg), never from report text without escaping.
	return template.HTML(out), names, nil //nolint:gosec
}
