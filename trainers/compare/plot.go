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
)

// ciPoints are IQM points with their confidence intervals as errors
// relative to the point.
type ciPoints struct {
	plotter.XYs
	plotter.YErrors
}

// plotPNG draws the leaderboard: methods along x in rank order, every
// seed's return as a small point, the IQM as a large point with its 95% CI
// as an error bar, and a horizontal line at the optimum; the legend sits
// right of the axes, outside the data.
func (r *Report) plotPNG() ([]byte, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: return per seed on %d eval starts (seed %d)", r.Env, r.Episodes, r.EvalSeed)
	p.Y.Label.Text = "mean evaluation return"
	p.X.Label.Text = "method (ranked by IQM)"
	p.Add(plotter.NewGrid())
	names := make([]string, len(r.Methods))
	leg := plot.NewLegend()
	var seeds, iqm plotter.XYs
	var errs plotter.YErrors
	for i, m := range r.Methods {
		// One option per line keeps long specs readable under their
		// position.
		names[i] = strings.ReplaceAll(m.Method, ":", "\n")
		n := len(m.Returns)
		for k, v := range m.Returns {
			// Spread the seeds evenly over [-0.3, -0.05] left of the
			// method's position (its IQM bar sits right of it) so that
			// equal returns stay visible.
			off := -0.175
			if n > 1 {
				off = -0.3 + 0.25*float64(k)/float64(n-1)
			}
			seeds = append(seeds, plotter.XY{X: float64(i) + off, Y: v})
		}
		if m.IQM != nil && m.IQMCI != nil && !math.IsNaN(m.IQMCI.Lo) {
			iqm = append(iqm, plotter.XY{X: float64(i) + 0.12, Y: *m.IQM})
			errs = append(errs, struct{ Low, High float64 }{*m.IQM - m.IQMCI.Lo, m.IQMCI.Hi - *m.IQM})
		}
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(names))-0.4
	if len(seeds) > 0 {
		sc, err := plotter.NewScatter(seeds)
		if err != nil {
			return nil, err
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
			return nil, err
		}
		eb.LineStyle.Width = vg.Points(1.5)
		eb.CapWidth = vg.Points(10)
		pt, err := plotter.NewScatter(iqm)
		if err != nil {
			return nil, err
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
			return nil, err
		}
		l.LineStyle.Color = color.RGBA{R: 200, G: 40, B: 40, A: 255}
		l.LineStyle.Width = vg.Points(1.5)
		l.LineStyle.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		p.Add(l)
		leg.Add(fmt.Sprintf("optimum %.1f", *r.Optimum), l)
	}
	// Keep the extreme points and bar caps off the frame.
	if span := p.Y.Max - p.Y.Min; span > 0 {
		p.Y.Min, p.Y.Max = p.Y.Min-0.05*span, p.Y.Max+0.05*span
	} else {
		p.Y.Min, p.Y.Max = p.Y.Min-1, p.Y.Max+1
	}
	const legendW = 1.7 * vg.Inch
	w := max(7*vg.Inch, vg.Length(len(names))*0.9*vg.Inch+legendW+vg.Inch)
	lines := 1
	for _, n := range names {
		lines = max(lines, strings.Count(n, "\n")+1)
	}
	img := vgimg.New(w, 4.2*vg.Inch+vg.Length(lines)*0.17*vg.Inch)
	dc := draw.New(img)
	p.Draw(draw.Crop(dc, 0, -legendW, 0, -vg.Points(6)))
	leg.Top, leg.Left = true, true
	leg.Draw(draw.Crop(dc, w-legendW+vg.Points(8), 0, 0, -vg.Points(30)))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
