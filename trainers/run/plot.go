package run

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mbrl/mbrl/checkpoints"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Series is one named curve of a panel. Points whose x or y is NaN or
// infinite (and, on a log axis, <= 0) are skipped.
type Series struct {
	Name string
	X, Y []float64
	// Lo and Hi, when given (one per point), are the spread of each
	// point (e.g. mean -+ std over episodes): drawn as error bars and a
	// shaded band.
	Lo, Hi []float64
	// Dashed draws the line dashed (a reference, e.g. a prediction).
	Dashed bool
}

// Panel is one set of axes of a Figure: one quantity (YLabel, with its
// unit) against the figure's x.
type Panel struct {
	YLabel     string
	LogX, LogY bool
	Series     []Series
}

// Figure is a plot a person can read: a title that fits, one panel per
// quantity stacked over a shared x label, each panel's legend right of its
// axes (outside the data) and a caption under the panels that says what
// each point is (e.g. the number of episodes behind it).
type Figure struct {
	Title, XLabel, Caption string
	Panels                 []Panel
}

// Figure geometry: the canvas is FigureWidth wide and PanelHeight per
// panel (SinglePanelHeight for a figure of one panel) plus room for the
// title and caption; PNGs are drawn at FigureDPI.
const (
	FigureWidth       = 8 * vg.Inch
	PanelHeight       = 2.6 * vg.Inch
	SinglePanelHeight = 3.4 * vg.Inch
	FigureDPI         = 96
)

var (
	bandAlpha = uint8(50)
	gray      = color.Gray{Y: 80}
)

// Size returns the width and height of the figure's canvas.
func (f *Figure) Size() (w, h vg.Length) {
	panels := SinglePanelHeight
	if len(f.Panels) > 1 {
		panels = vg.Length(len(f.Panels)) * PanelHeight
	}
	return FigureWidth, panels + f.headHeight() + f.captionHeight()
}

func (f *Figure) titleStyle() text.Style {
	sty := text.Style{Font: font.From(plot.DefaultFont, 13), Handler: plot.DefaultTextHandler, Color: color.Black, XAlign: draw.XCenter}
	// Shrink a long title down to 9 points, then wrap it.
	for sty.Font.Size > 9 && sty.Width(f.Title) > FigureWidth-vg.Points(20) {
		sty.Font.Size -= 0.5
	}
	return sty
}

func (f *Figure) titleLines() []string {
	sty := f.titleStyle()
	return wrap(f.Title, sty, FigureWidth-vg.Points(20))
}

func (f *Figure) headHeight() vg.Length {
	if f.Title == "" {
		return vg.Points(6)
	}
	sty := f.titleStyle()
	return vg.Length(len(f.titleLines()))*sty.Height("Ag")*1.15 + vg.Points(10)
}

func captionStyle() text.Style {
	return text.Style{Font: font.From(plot.DefaultFont, 9.5), Handler: plot.DefaultTextHandler, Color: gray}
}

func (f *Figure) captionLines() []string {
	if f.Caption == "" {
		return nil
	}
	return wrap(f.Caption, captionStyle(), FigureWidth-vg.Points(24))
}

func (f *Figure) captionHeight() vg.Length {
	lines := f.captionLines()
	if len(lines) == 0 {
		return 0
	}
	return vg.Length(len(lines))*captionStyle().Height("Ag")*1.2 + vg.Points(8)
}

// wrap splits s into lines no wider than w in style sty (words longer
// than w stay whole).
func wrap(s string, sty text.Style, w vg.Length) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			if line != "" && sty.Width(line+" "+word) > w {
				lines = append(lines, line)
				line = word
				continue
			}
			if line != "" {
				line += " "
			}
			line += word
		}
		lines = append(lines, line)
	}
	return lines
}

// Draw draws the figure onto c (of the figure's Size).
func (f *Figure) Draw(c draw.Canvas) {
	top := c.Max.Y
	if f.Title != "" {
		sty := f.titleStyle()
		lh := sty.Height("Ag") * 1.15
		y := top - vg.Points(6)
		for _, l := range f.titleLines() {
			y -= lh
			c.FillText(sty, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: y + sty.FontExtents().Descent}, l)
		}
	}
	top -= f.headHeight()
	bottom := c.Min.Y
	if lines := f.captionLines(); len(lines) > 0 {
		sty := captionStyle()
		lh := sty.Height("Ag") * 1.2
		y := c.Min.Y + f.captionHeight() - vg.Points(4)
		for _, l := range lines {
			y -= lh
			c.FillText(sty, vg.Point{X: c.Min.X + vg.Points(12), Y: y + sty.FontExtents().Descent}, l)
		}
		bottom += f.captionHeight()
	}
	panels := f.Panels
	if len(panels) == 0 {
		panels = []Panel{{}}
	}
	h := (top - bottom) / vg.Length(len(panels))
	legendW := f.legendWidth()
	plots := make([]*plot.Plot, len(panels))
	legends := make([]plot.Legend, len(panels))
	var tickW vg.Length
	for i, pn := range panels {
		// The shared x label goes under the last panel only.
		xl := ""
		if i == len(panels)-1 {
			xl = f.XLabel
		}
		plots[i], legends[i] = pn.plot(xl, h)
	}
	shareX(panels, plots)
	for _, p := range plots {
		tickW = max(tickW, yTickWidth(p))
	}
	for i, p := range plots {
		pc := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: c.Min.X, Y: top - vg.Length(i+1)*h},
			Max: vg.Point{X: c.Max.X, Y: top - vg.Length(i)*h},
		}}
		// Indent panels with narrower tick labels so that the x axes of
		// all panels line up.
		p.Draw(draw.Crop(pc, vg.Points(4)+tickW-yTickWidth(p), -legendW, vg.Points(2), -vg.Points(4)))
		legends[i].Draw(draw.Crop(pc, pc.Max.X-pc.Min.X-legendW+vg.Points(10), 0, 0, -vg.Points(10)))
	}
}

// shareX gives every panel that has data the union of their x ranges,
// so that the same x sits at the same place in every panel (when all
// panels agree on a log or linear x).
func shareX(panels []Panel, plots []*plot.Plot) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, p := range plots {
		if panels[i].LogX != panels[0].LogX {
			return
		}
		if panels[i].hasData() {
			lo, hi = math.Min(lo, p.X.Min), math.Max(hi, p.X.Max)
		}
	}
	if !(lo < hi) {
		return
	}
	for i, p := range plots {
		if panels[i].hasData() {
			p.X.Min, p.X.Max = lo, hi
		}
	}
}

// hasData reports whether the panel has a point to draw.
func (pn Panel) hasData() bool {
	for _, s := range pn.Series {
		if pts, _, _ := s.points(pn.LogX, pn.LogY); len(pts) > 0 {
			return true
		}
	}
	return false
}

// yTickWidth is the width of the widest y tick label of p plus the
// height of its (rotated) y label: what differs between panels left of
// the axes.
func yTickWidth(p *plot.Plot) (w vg.Length) {
	if p.Y.Label.Text != "" {
		defer func() { w += p.Y.Label.TextStyle.Height(p.Y.Label.Text) }()
	}
	for _, t := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
		if t.Label != "" {
			w = max(w, p.Y.Tick.Label.Width(t.Label))
		}
	}
	return
}

// legendWidth is the room right of the axes for the widest legend entry
// (at least 1.3 inch, at most 3 inch).
func (f *Figure) legendWidth() vg.Length {
	sty := legendStyle()
	w := 1.3 * vg.Inch
	for _, pn := range f.Panels {
		for _, s := range pn.Series {
			w = max(w, sty.Width(s.Name)+vg.Points(46))
		}
	}
	return min(w, 3*vg.Inch)
}

func legendStyle() text.Style {
	return text.Style{Font: font.From(plot.DefaultFont, 10), Handler: plot.DefaultTextHandler, Color: color.Black}
}

// plot builds the gonum plot of the panel, h high, and its legend (drawn
// apart).
func (pn Panel) plot(xlabel string, h vg.Length) (*plot.Plot, plot.Legend) {
	p := plot.New()
	p.X.Label.Text = xlabel
	p.Y.Label.Text = pn.YLabel
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font.Size = 11
		ax.Tick.Label.Font.Size = 9.5
	}
	// A y label longer than the panel is high shrinks to fit.
	for p.Y.Label.TextStyle.Font.Size > 7 && p.Y.Label.TextStyle.Width(pn.YLabel) > h-vg.Points(50) {
		p.Y.Label.TextStyle.Font.Size -= 0.5
	}
	p.Add(plotter.NewGrid())
	leg := plot.NewLegend()
	leg.TextStyle = legendStyle()
	leg.Top, leg.Left = true, true
	leg.ThumbnailWidth = vg.Points(22)
	leg.Padding = vg.Points(4)
	xr, yr := newRange(pn.LogX), newRange(pn.LogY)
	for i, s := range pn.Series {
		pts, lo, hi := s.points(pn.LogX, pn.LogY)
		if len(pts) == 0 {
			continue
		}
		clr := plotutil.Color(i)
		for k, pt := range pts {
			xr.add(pt.X)
			yr.add(pt.Y)
			if lo != nil {
				yr.add(lo[k])
				yr.add(hi[k])
			}
		}
		var thumbs []plot.Thumbnailer
		if lo != nil {
			if band := bandPolygon(pts, lo, hi); band != nil {
				fill := color.NRGBAModel.Convert(clr).(color.NRGBA)
				fill.A = bandAlpha
				band.Color = fill
				band.LineStyle.Width = 0
				p.Add(band)
				thumbs = append(thumbs, band)
			}
			errs := make(plotter.YErrors, len(pts))
			for k := range pts {
				errs[k].Low, errs[k].High = pts[k].Y-lo[k], hi[k]-pts[k].Y
			}
			if eb, err := plotter.NewYErrorBars(errBars{pts, errs}); err == nil {
				eb.LineStyle.Color = clr
				eb.CapWidth = vg.Points(5)
				p.Add(eb)
			}
		}
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			continue
		}
		l.Color, sc.Color = clr, clr
		l.Width = vg.Points(1.4)
		if s.Dashed {
			l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		sc.Radius = vg.Points(2)
		if len(pts) > 60 && lo == nil {
			sc.Radius = 0
		}
		sc.Shape = draw.CircleGlyph{}
		p.Add(l, sc)
		if s.Name != "" {
			thumbs = append(thumbs, l, sc)
			leg.Add(s.Name, thumbs...)
		}
	}
	xr.apply(&p.X)
	yr.apply(&p.Y)
	if xr.empty() && yr.empty() {
		p.Title.Text = "(no data)"
		p.Title.TextStyle.Font.Size = 10
	}
	return p, leg
}

// points returns the finite points of s (and their finite spreads, nil
// when s has none or a point lacks one).
func (s Series) points(logX, logY bool) (pts plotter.XYs, lo, hi []float64) {
	ok := func(v float64, log bool) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) && (!log || v > 0) }
	spread := len(s.Lo) == len(s.Y) && len(s.Hi) == len(s.Y)
	for j := range min(len(s.X), len(s.Y)) {
		x, y := s.X[j], s.Y[j]
		if !ok(x, logX) || !ok(y, logY) {
			continue
		}
		pts = append(pts, plotter.XY{X: x, Y: y})
		if spread {
			l, h := s.Lo[j], s.Hi[j]
			if !ok(l, logY) || !ok(h, logY) {
				spread = false
				continue
			}
			lo, hi = append(lo, min(l, y)), append(hi, max(h, y))
		}
	}
	if !spread {
		lo, hi = nil, nil
	}
	return pts, lo, hi
}

// errBars are points with their errors for plotter.NewYErrorBars.
type errBars struct {
	plotter.XYs
	plotter.YErrors
}

// bandPolygon is the area between lo and hi along pts (nil for fewer than
// two points).
func bandPolygon(pts plotter.XYs, lo, hi []float64) *plotter.Polygon {
	if len(pts) < 2 {
		return nil
	}
	ring := make(plotter.XYs, 0, 2*len(pts))
	for k, pt := range pts {
		ring = append(ring, plotter.XY{X: pt.X, Y: lo[k]})
	}
	for k := len(pts) - 1; k >= 0; k-- {
		ring = append(ring, plotter.XY{X: pts[k].X, Y: hi[k]})
	}
	poly, err := plotter.NewPolygon(ring)
	if err != nil {
		return nil
	}
	return poly
}

// axisRange collects the finite values an axis shows.
type axisRange struct {
	log      bool
	min, max float64
	n        int
}

func newRange(log bool) *axisRange { return &axisRange{log: log, min: math.Inf(1), max: math.Inf(-1)} }

func (r *axisRange) add(v float64) {
	r.min, r.max = math.Min(r.min, v), math.Max(r.max, v)
	r.n++
}

func (r *axisRange) empty() bool { return r.n == 0 }

// apply sets the axis to the range with a margin (a constant or single
// value gets a span around it; no value gives 0..1, or 1..10 on a log
// axis), and a log scale with ticks that label at least two values.
func (r *axisRange) apply(ax *plot.Axis) {
	lo, hi := r.min, r.max
	switch {
	case r.empty() && r.log:
		lo, hi = 1, 10
	case r.empty():
		lo, hi = 0, 1
	case r.log && hi/lo < 1.0001:
		lo, hi = lo/2, hi*2
	case r.log:
		m := math.Pow(hi/lo, 0.04)
		lo, hi = lo/m, hi*m
	case hi-lo <= 1e-12*math.Max(1, math.Abs(hi)):
		d := math.Max(math.Abs(hi)*0.1, 1)
		lo, hi = lo-d, hi+d
	default:
		d := (hi - lo) * 0.04
		lo, hi = lo-d, hi+d
	}
	ax.Min, ax.Max = lo, hi
	if r.log {
		ax.Scale = plot.LogScale{}
		ax.Tick.Marker = LogTicks{}
	}
}

// LogTicks is a plot.Ticker for log axes that labels at least two values
// whatever the range: decades when the range spans two of them, else
// 1-2-5 steps, else every digit, else linear ticks. gonum's LogTicks
// labels a single tick on a range inside one decade and panics on a range
// that is not positive; this never panics.
type LogTicks struct{}

// Ticks returns the ticks of [lo, hi].
func (LogTicks) Ticks(lo, hi float64) []plot.Tick {
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return nil
	}
	if !(lo > 0) || !(hi > lo) {
		return plot.DefaultTicks{}.Ticks(lo, math.Max(hi, lo+1))
	}
	k0, k1 := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	in := func(v float64) bool { return v >= lo*(1-1e-9) && v <= hi*(1+1e-9) }
	for _, mults := range [][]float64{{1}, {1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}} {
		var ticks []plot.Tick
		labelled := 0
		step := max(1, (k1-k0+7)/8) // at most about 8 labelled decades
		for k := k0; k <= k1; k++ {
			base := math.Pow10(k)
			for d := 1; d <= 9; d++ {
				v := float64(d) * base
				if !in(v) {
					continue
				}
				label := ""
				for _, m := range mults {
					if float64(d) == m && (len(mults) > 1 || (k-k0)%step == 0) {
						label = tickLabel(v)
					}
				}
				if label != "" {
					labelled++
				}
				ticks = append(ticks, plot.Tick{Value: v, Label: label})
			}
		}
		if labelled >= 2 {
			return ticks
		}
	}
	return plot.DefaultTicks{}.Ticks(lo, hi)
}

// tickLabel formats a log tick: plain from 0.001 to 9999, else like 1e6.
func tickLabel(v float64) string {
	if v >= 1e-3 && v < 1e4 {
		r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64)
		return strconv.FormatFloat(r, 'f', -1, 64)
	}
	s := fmt.Sprintf("%.0e", v)
	s = strings.Replace(s, "e+0", "e", 1)
	s = strings.Replace(s, "e-0", "e-", 1)
	return strings.Replace(s, "e+", "e", 1)
}

// PNG returns the figure as a PNG image of Size at FigureDPI.
func (f *Figure) PNG() ([]byte, error) {
	w, h := f.Size()
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(FigureDPI))
	f.Draw(draw.New(img))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("run: plot %q: %w", f.Title, err)
	}
	return buf.Bytes(), nil
}

// SVG returns the figure as an SVG document of Size (for an HTML page).
func (f *Figure) SVG() ([]byte, error) {
	w, h := f.Size()
	c := vgsvg.New(w, h)
	f.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("run: plot %q: %w", f.Title, err)
	}
	return buf.Bytes(), nil
}

// WriteFile writes the figure atomically to path as PNG, or as SVG when
// path ends in .svg.
func (f *Figure) WriteFile(path string) error {
	enc := f.PNG
	if strings.EqualFold(filepath.Ext(path), ".svg") {
		enc = f.SVG
	}
	b, err := enc()
	if err != nil {
		return err
	}
	return checkpoints.WriteFileAtomic(path, b)
}

// SaveFigure writes f to path (a PNG) and its SVG twin beside it (the
// same name ending in .svg), which the HTML report of a run folder
// inlines.
func SaveFigure(path string, f *Figure) error {
	if err := f.WriteFile(path); err != nil {
		return err
	}
	return f.WriteFile(strings.TrimSuffix(path, filepath.Ext(path)) + ".svg")
}
