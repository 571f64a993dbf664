package report

import (
	"image/color"
	"math"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// span is a shaded time window with a label at its top: a finding's window
// or a scenario phase.
type span struct {
	start, end time.Time
	label      string
	fill       color.Color
	ink        color.Color
	// row staggers labels of neighbouring spans so they do not overlap.
	row int
}

// spans draws time windows across the whole height of the data area. It has
// no DataRange, so it never stretches the axes.
type spans []span

// Plot implements plot.Plotter.
func (ss spans) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	for _, s := range ss {
		x0 := max(trX(unixSec(s.start)), c.Min.X)
		x1 := min(trX(unixSec(s.end)), c.Max.X)
		if x1 <= x0 {
			continue
		}
		c.FillPolygon(s.fill, []vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}})
		if s.label == "" {
			continue
		}
		sty := text.Style{
			Color:   s.ink,
			Font:    font.From(sansFont, 7.5),
			XAlign:  draw.XLeft,
			YAlign:  draw.YTop,
			Handler: p.TextHandler,
		}
		at := vg.Point{X: x0 + vg.Points(2), Y: c.Max.Y - vg.Points(2) - vg.Length(s.row)*vg.Points(9)}
		c.FillText(sty, at, s.label)
	}
}

// vmark is a vertical line at one instant (a checkpoint, an autovacuum).
type vmark struct {
	at    time.Time
	label string
}

// vmarks draws vertical marker lines with an optional label at the bottom.
type vmarks struct {
	marks  []vmark
	color  color.Color
	dashed bool
}

// Plot implements plot.Plotter.
func (vm vmarks) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	ls := draw.LineStyle{Color: vm.color, Width: vg.Points(1)}
	if vm.dashed {
		ls.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
	}
	lastLabel := vg.Length(math.Inf(-1))
	for _, m := range vm.marks {
		x := trX(unixSec(m.at))
		if x < c.Min.X || x > c.Max.X {
			continue
		}
		c.StrokeLine2(ls, x, c.Min.Y, x, c.Max.Y)
		// A burst of marks gets one label, not a smudge of overlapping ones.
		if m.label != "" && x-lastLabel > vg.Points(90) {
			lastLabel = x
			sty := text.Style{Color: vm.color, Font: font.From(sansFont, 7), XAlign: draw.XLeft, YAlign: draw.YBottom, Handler: p.TextHandler}
			c.FillText(sty, vg.Point{X: x + vg.Points(1.5), Y: c.Min.Y + vg.Points(2)}, m.label)
		}
	}
}
