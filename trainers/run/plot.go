package run

import (
	"bytes"
	"fmt"
	"math"

	"github.com/mbrl/mbrl/checkpoints"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// Series is one named curve of a plot. NaN and infinite y values (and, on
// a log axis, values <= 0) are skipped.
type Series struct {
	Name string
	X, Y []float64
}

// PlotOptions configure SavePlot.
type PlotOptions struct {
	Title, XLabel, YLabel string
	LogX, LogY            bool
}

// SavePlot draws the series as lines with points into a PNG at path,
// written atomically. Nothing is written when no series has a point.
func SavePlot(path string, opt PlotOptions, ss ...Series) error {
	p := plot.New()
	p.Title.Text = opt.Title
	p.X.Label.Text = opt.XLabel
	p.Y.Label.Text = opt.YLabel
	p.Add(plotter.NewGrid())
	if opt.LogX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if opt.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	drawn := 0
	for i, s := range ss {
		var pts plotter.XYs
		for j := range s.X {
			y := s.Y[j]
			if math.IsNaN(y) || math.IsInf(y, 0) || (opt.LogY && y <= 0) || (opt.LogX && s.X[j] <= 0) {
				continue
			}
			pts = append(pts, plotter.XY{X: s.X[j], Y: y})
		}
		if len(pts) == 0 {
			continue
		}
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return fmt.Errorf("run: plot: %w", err)
		}
		l.Color = plotutil.Color(i)
		sc.Color = plotutil.Color(i)
		sc.Radius = vg.Points(1.5)
		p.Add(l, sc)
		if s.Name != "" {
			p.Legend.Add(s.Name, l)
		}
		drawn++
	}
	if drawn == 0 {
		return nil
	}
	p.Legend.Top = true
	w, err := p.WriterTo(7*vg.Inch, 4.5*vg.Inch, "png")
	if err != nil {
		return fmt.Errorf("run: plot: %w", err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return fmt.Errorf("run: plot: %w", err)
	}
	return checkpoints.WriteFileAtomic(path, buf.Bytes())
}

// PlotHistory draws the named metrics of h against the metric opt.XLabel,
// skipping rows that lack a metric.
func PlotHistory(path string, opt PlotOptions, cols []string, h History) error {
	ss := make([]Series, 0, len(cols))
	for _, c := range cols {
		s := Series{Name: c}
		for _, row := range h {
			if v, ok := row[c]; ok {
				s.X = append(s.X, row[opt.XLabel])
				s.Y = append(s.Y, v)
			}
		}
		ss = append(ss, s)
	}
	return SavePlot(path, opt, ss...)
}
