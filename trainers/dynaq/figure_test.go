package dynaq

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestFigurePlot draws Figure 8.2 from tiny curves (two episodes, a
// constant, NaN) and checks the PNG decodes with its SVG twin beside it;
// one episode draws nothing.
func TestFigurePlot(t *testing.T) {
	cases := []struct {
		name  string
		steps map[int][]float64
		eps   int
		drawn bool
	}{
		{"two episodes", map[int][]float64{0: {100, 20}, 5: {100, 15}}, 2, true},
		{"constant", map[int][]float64{0: {14, 14, 14}}, 3, true},
		{"NaN", map[int][]float64{0: {math.NaN(), math.NaN(), 3}}, 3, true},
		{"one episode", map[int][]float64{0: {100}}, 1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ns []int
			for n := range c.steps {
				ns = append(ns, n)
			}
			f := &Figure{Env: "maze", PlanningSteps: ns, Episodes: c.eps, Runs: 2, Steps: c.steps}
			dir := t.TempDir()
			path := filepath.Join(dir, "steps_per_episode.png")
			drawn, err := f.Plot(path)
			if err != nil || drawn != c.drawn {
				t.Fatalf("Plot: drawn %v, err %v; want drawn %v", drawn, err, c.drawn)
			}
			if !drawn {
				return
			}
			r, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			cfg, err := png.DecodeConfig(r)
			if err != nil || cfg.Width < 600 || cfg.Height < 300 {
				t.Errorf("PNG %dx%d, err %v", cfg.Width, cfg.Height, err)
			}
			if _, err := os.Stat(filepath.Join(dir, "steps_per_episode.svg")); err != nil {
				t.Errorf("no SVG twin: %v", err)
			}
		})
	}
}
