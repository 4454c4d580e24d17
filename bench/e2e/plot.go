package main

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Plot draws messages/s as bars grouped by message size, one colour per
// stack, on a log scale (the stacks span orders of magnitude).
func (r *Result) Plot(path string) error {
	p := plot.New()
	p.Title.Text = "SCTP end to end: messages/s received (log scale)"
	p.Y.Label.Text = "messages/s"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	sizes := r.sizes()
	names := make([]string, len(sizes))
	for i, s := range sizes {
		names[i] = sizeName(s)
	}
	p.NominalX(names...)
	p.Legend.Top = true
	colors := []color.Color{
		color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, // ours
		color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, // usrsctp
		color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, // pion
		color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}, // AF_XDP
	}
	w := vg.Points(22)
	lo := math.Inf(1)
	for _, x := range r.Rows {
		if v := x.MessagesPerSecond(); v > 0 && v < lo {
			lo = v
		}
	}
	if math.IsInf(lo, 1) {
		lo = 1
	}
	base := math.Pow(10, math.Floor(math.Log10(lo)))
	for i, st := range stacks {
		b := &logBars{base: base, width: w, offset: w * vg.Length(float64(i)-float64(len(stacks)-1)/2),
			color: colors[i%len(colors)]}
		for _, s := range sizes {
			x, _ := r.row(st, s)
			b.vals = append(b.vals, x.MessagesPerSecond())
		}
		p.Add(b)
		p.Legend.Add(st, b)
	}
	p.Y.Max *= 10 // room for the legend
	return p.Save(8*vg.Inch, 4.5*vg.Inch, path)
}

// logBars are bars from base up to each value, which plotter.BarChart
// cannot draw on a log axis (its bars start at 0).
type logBars struct {
	vals          []float64
	base          float64
	width, offset vg.Length
	color         color.Color
}

func (b *logBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for i, v := range b.vals {
		if v <= b.base {
			continue
		}
		x := trX(float64(i)) + b.offset
		y0, y1 := trY(b.base), trY(v)
		pts := []vg.Point{{X: x - b.width/2, Y: y0}, {X: x + b.width/2, Y: y0}, {X: x + b.width/2, Y: y1}, {X: x - b.width/2, Y: y1}}
		c.FillPolygon(b.color, c.ClipPolygonY(pts))
	}
}

func (b *logBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	ymax = b.base
	for _, v := range b.vals {
		ymax = math.Max(ymax, v)
	}
	return -0.5, float64(len(b.vals)) - 0.5, b.base, ymax
}

// Thumbnail is the legend's swatch.
func (b *logBars) Thumbnail(c *draw.Canvas) {
	pts := []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y}}
	c.FillPolygon(b.color, c.ClipPolygonY(pts))
}
