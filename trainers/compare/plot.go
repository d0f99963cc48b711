package compare

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// ciPoints are IQM points with their confidence intervals as errors
// relative to the point.
type ciPoints struct {
	plotter.XYs
	plotter.YErrors
}

// plotPNG draws the leaderboard plot (drawPlot) as a PNG.
func (r *Report) plotPNG() ([]byte, error) {
	w, h := r.plotSize()
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(96))
	if err := r.drawPlot(draw.New(img)); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// plotSVG draws the leaderboard plot (drawPlot) as an SVG document.
func (r *Report) plotSVG() ([]byte, error) {
	w, h := r.plotSize()
	c := vgsvg.New(w, h)
	if err := r.drawPlot(draw.New(c)); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

const (
	plotLegendW = 1.9 * vg.Inch
	plotCaption = 0.55 * vg.Inch
)

// plotNames are the method labels under the x axis, one option per line.
func (r *Report) plotNames() []string {
	names := make([]string, len(r.Methods))
	for i, m := range r.Methods {
		names[i] = strings.ReplaceAll(m.Method, ":", "\n")
	}
	return names
}

// plotSize is the size of the leaderboard plot: wide enough for every
// method and the legend, tall enough for the longest label and the caption.
func (r *Report) plotSize() (w, h vg.Length) {
	names := r.plotNames()
	lines := 1
	for _, n := range names {
		lines = max(lines, strings.Count(n, "\n")+1)
	}
	return max(8*vg.Inch, vg.Length(len(names))*0.9*vg.Inch+plotLegendW+vg.Inch),
		4.2*vg.Inch + vg.Length(lines)*0.17*vg.Inch + plotCaption
}

// drawPlot draws the leaderboard: methods along x in rank order, every
// seed's return as a small point, the IQM as a large point with its 95% CI
// as an error bar, and a horizontal line at the optimum; the legend sits
// right of the axes, outside the data, and a caption under the axes says
// what each point is.
func (r *Report) drawPlot(dc draw.Canvas) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: final return of each method over seeds %s", r.Env, r.Seeds)
	p.Title.TextStyle.Font.Size = 13
	p.Y.Label.Text = "mean evaluation return (sum of rewards)"
	p.X.Label.Text = "method (ranked by IQM, best left)"
	p.Add(plotter.NewGrid())
	names := r.plotNames()
	leg := plot.NewLegend()
	var seeds, iqm plotter.XYs
	var errs plotter.YErrors
	for i, m := range r.Methods {
		n := len(m.Returns)
		for k, v := range m.Returns {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			// Spread the seeds evenly over [-0.3, -0.05] left of the
			// method's position (its IQM bar sits right of it) so that
			// equal returns stay visible.
			off := -0.175
			if n > 1 {
				off = -0.3 + 0.25*float64(k)/float64(n-1)
			}
			seeds = append(seeds, plotter.XY{X: float64(i) + off, Y: v})
		}
		if m.IQM != nil && m.IQMCI != nil && !math.IsNaN(m.IQMCI.Lo) && !math.IsNaN(m.IQMCI.Hi) && !math.IsInf(*m.IQM, 0) {
			iqm = append(iqm, plotter.XY{X: float64(i) + 0.12, Y: *m.IQM})
			errs = append(errs, struct{ Low, High float64 }{*m.IQM - m.IQMCI.Lo, m.IQMCI.Hi - *m.IQM})
		}
	}
	if len(names) > 0 { // gonum's NominalX panics on no names
		p.NominalX(names...)
	}
	p.X.Min, p.X.Max = -0.6, float64(len(names))-0.4
	if len(seeds) > 0 {
		sc, err := plotter.NewScatter(seeds)
		if err != nil {
			return err
		}
		sc.GlyphStyle.Color = color.RGBA{R: 70, G: 110, B: 200, A: 255}
		sc.GlyphStyle.Radius = vg.Points(2.5)
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		p.Add(sc)
		leg.Add("one seed", sc)
	}
	if len(iqm) > 0 {
		eb, err := plotter.NewYErrorBars(ciPoints{iqm, errs})
		if err != nil {
			return err
		}
		eb.LineStyle.Width = vg.Points(1.5)
		eb.CapWidth = vg.Points(10)
		pt, err := plotter.NewScatter(iqm)
		if err != nil {
			return err
		}
		pt.GlyphStyle.Color = color.Black
		pt.GlyphStyle.Radius = vg.Points(4)
		pt.GlyphStyle.Shape = draw.BoxGlyph{}
		p.Add(eb, pt)
		leg.Add("IQM, 95% CI", pt)
	}
	if r.Optimum != nil {
		l, err := plotter.NewLine(plotter.XYs{{X: p.X.Min, Y: *r.Optimum}, {X: p.X.Max, Y: *r.Optimum}})
		if err != nil {
			return err
		}
		l.LineStyle.Color = color.RGBA{R: 200, G: 40, B: 40, A: 255}
		l.LineStyle.Width = vg.Points(1.5)
		l.LineStyle.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		p.Add(l)
		leg.Add(fmt.Sprintf("optimum %.1f", *r.Optimum), l)
	}
	// Keep the extreme points and bar caps off the frame; no point at all
	// gives an empty 0..1 axis.
	if math.IsInf(p.Y.Min, 0) || math.IsInf(p.Y.Max, 0) || math.IsNaN(p.Y.Min) || math.IsNaN(p.Y.Max) {
		p.Y.Min, p.Y.Max = 0, 1
	}
	if span := p.Y.Max - p.Y.Min; span > 0 {
		p.Y.Min, p.Y.Max = p.Y.Min-0.05*span, p.Y.Max+0.05*span
	} else {
		p.Y.Min, p.Y.Max = p.Y.Min-1, p.Y.Max+1
	}
	w, _ := r.plotSize()
	body := draw.Crop(dc, 0, 0, plotCaption, 0)
	p.Draw(draw.Crop(body, 0, -plotLegendW, 0, -vg.Points(6)))
	leg.Top, leg.Left = true, true
	leg.Draw(draw.Crop(body, w-plotLegendW+vg.Points(8), 0, 0, -vg.Points(30)))
	sty := leg.TextStyle
	sty.Font.Size = 9.5
	sty.Color = color.Gray{Y: 80}
	caption := []string{
		fmt.Sprintf("Each dot: one seed's final policy, mean return over the same %d evaluation episodes (starts of eval seed %d).", r.Episodes, r.EvalSeed),
		fmt.Sprintf("Square and bar: interquartile mean over seeds with its 95%% bootstrap confidence interval (%d resamples).", r.Resamples),
	}
	for i, line := range caption {
		dc.FillText(sty, vg.Point{X: dc.Min.X + vg.Points(12), Y: dc.Min.Y + plotCaption - vg.Points(16) - vg.Length(i)*vg.Points(13)}, line)
	}
	return nil
}
