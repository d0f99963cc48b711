package bptt

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestPlotStudyDegenerate draws the gradient-norm plots of tiny studies
// (one horizon, which used to panic gonum's log ticks; a constant; NaN
// and infinite norms) and checks that both PNGs decode at the figure's
// size.
func TestPlotStudyDegenerate(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	one := func(v float64) []float64 { return []float64{v} }
	cases := []struct {
		name string
		r    *StudyResult
	}{
		{"one horizon", &StudyResult{Horizons: []int{1}, Starts: 3, Params: 10, GradNorm: one(0.006), P10: one(0.003), P90: one(0.009),
			Predicted: one(1.4), StateGradNorm: one(2), StatePredicted: one(1)}},
		{"constant", &StudyResult{Horizons: []int{1, 2, 3}, GradNorm: []float64{1, 1, 1}, P10: []float64{1, 1, 1}, P90: []float64{1, 1, 1},
			Predicted: []float64{2, 2, 2}, StateGradNorm: []float64{1, 1, 1}, StatePredicted: []float64{1, 1, 1}}},
		{"NaN and Inf", &StudyResult{Horizons: []int{1, 10}, GradNorm: []float64{nan, 3}, P10: []float64{nan, 1}, P90: []float64{nan, inf},
			Predicted: []float64{inf, inf}, StateGradNorm: []float64{nan, nan}, StatePredicted: []float64{0, -1}}},
		{"empty", &StudyResult{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "gn.png")
			if err := PlotStudy(path, "pendulum", c.r); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{path, withSuffix(path, "_steps")} {
				f, err := os.Open(p)
				if err != nil {
					t.Fatal(err)
				}
				cfg, err := png.DecodeConfig(f)
				f.Close()
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				w, h := StudyFigure("pendulum", c.r).Size()
				if cfg.Width != int(w.Points()*96/72+0.5) || cfg.Height != int(h.Points()*96/72+0.5) {
					t.Errorf("%s is %dx%d, want the figure's %vx%v at 96 dpi", p, cfg.Width, cfg.Height, w, h)
				}
			}
		})
	}
}
