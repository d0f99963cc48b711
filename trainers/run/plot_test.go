package run

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
)

// pngSize decodes a PNG and returns its size in pixels.
func pngSize(t *testing.T, b []byte) (w, h int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode PNG: %v", err)
	}
	return img.Bounds().Dx(), img.Bounds().Dy()
}

// wantPixels is the pixel size of a figure of size w x h at FigureDPI.
func wantPixels(w, h vg.Length) (int, int) {
	px := func(l vg.Length) int { return int(l.Points()*FigureDPI/72 + 0.5) } // vgimg rounds to the nearest pixel
	return px(w), px(h)
}

// TestFigureDegenerateData draws figures from data gonum's defaults choke
// on (one point, a constant, NaN, nothing, one value on a log axis) and
// checks that each writes a PNG of the figure's size and an SVG document.
func TestFigureDegenerateData(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		name  string
		panel Panel
	}{
		{"empty", Panel{YLabel: "y"}},
		{"empty series", Panel{Series: []Series{{Name: "a"}}}},
		{"one point", Panel{Series: []Series{{Name: "a", X: []float64{3}, Y: []float64{-2}}}}},
		{"one point log-log", Panel{LogX: true, LogY: true, Series: []Series{{Name: "a", X: []float64{1}, Y: []float64{0.5}}}}},
		{"constant", Panel{Series: []Series{{Name: "a", X: []float64{1, 2, 3}, Y: []float64{7, 7, 7}}}}},
		{"constant zero", Panel{Series: []Series{{Name: "a", X: []float64{1, 2, 3}, Y: []float64{0, 0, 0}}}}},
		{"constant log", Panel{LogY: true, Series: []Series{{Name: "a", X: []float64{1, 2}, Y: []float64{4, 4}}}}},
		{"all NaN", Panel{Series: []Series{{Name: "a", X: []float64{1, 2}, Y: []float64{nan, nan}}}}},
		{"NaN and Inf mixed", Panel{LogY: true, Series: []Series{{Name: "a", X: []float64{1, 2, 3, nan}, Y: []float64{nan, 2, inf, 1}}}}},
		{"non-positive on log", Panel{LogY: true, Series: []Series{{Name: "a", X: []float64{1, 2}, Y: []float64{0, -1}}}}},
		{"band one point", Panel{Series: []Series{{Name: "a", X: []float64{1}, Y: []float64{2}, Lo: []float64{1}, Hi: []float64{3}}}}},
		{"band NaN spread", Panel{Series: []Series{{Name: "a", X: []float64{1, 2}, Y: []float64{2, 3}, Lo: []float64{1, nan}, Hi: []float64{3, nan}}}}},
		{"ragged", Panel{Series: []Series{{Name: "a", X: []float64{1, 2, 3}, Y: []float64{2}}}}},
		{"tiny log range", Panel{LogY: true, Series: []Series{{Name: "a", X: []float64{1, 2}, Y: []float64{1.01, 1.02}}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &Figure{Title: "degenerate: " + c.name, XLabel: "x (unit)", Caption: "caption", Panels: []Panel{c.panel, c.panel}}
			b, err := f.PNG()
			if err != nil {
				t.Fatal(err)
			}
			w, h := pngSize(t, b)
			ww, wh := wantPixels(f.Size())
			if w != ww || h != wh {
				t.Errorf("PNG is %dx%d, want %dx%d", w, h, ww, wh)
			}
			svg, err := f.SVG()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(svg, []byte("<svg")) {
				t.Errorf("SVG output has no <svg element")
			}
		})
	}
}

// TestFigureSize checks that the canvas grows with the panels and the
// caption, and that a long title is wrapped rather than cut.
func TestFigureSize(t *testing.T) {
	one := &Figure{Title: "t", Panels: []Panel{{}}}
	two := &Figure{Title: "t", Panels: []Panel{{}, {}}}
	three := &Figure{Title: "t", Panels: []Panel{{}, {}, {}}}
	_, h1 := one.Size()
	_, h2 := two.Size()
	_, h3 := three.Size()
	near := func(a, b vg.Length) bool { return math.Abs(float64(a-b)) < 1e-9 } // lengths are float sums
	if !near(h3-h2, PanelHeight) || !near(h2-h1, 2*PanelHeight-SinglePanelHeight) {
		t.Errorf("heights %v, %v, %v: want panels of %v (one alone: %v)", h1, h2, h3, PanelHeight, SinglePanelHeight)
	}
	long := &Figure{Title: strings.Repeat("a long title ", 30), Panels: []Panel{{}}}
	if n := len(long.titleLines()); n < 2 {
		t.Errorf("a 390-character title fits on %d line, want it wrapped", n)
	}
	for _, l := range long.titleLines() {
		if w := long.titleStyle().Width(l); w > FigureWidth {
			t.Errorf("title line %q is %v wide, more than the figure's %v", l, w, FigureWidth)
		}
	}
}

// TestLogTicks checks that every log range, however narrow, gets at least
// two labelled ticks inside it, and that nothing panics on ranges gonum's
// LogTicks rejects.
func TestLogTicks(t *testing.T) {
	for _, r := range [][2]float64{{1, 10}, {0.5, 2}, {1e-3, 1e6}, {1.01, 1.02}, {3, 3.5}, {1e-300, 1e300}, {2, 1000}} {
		ticks := LogTicks{}.Ticks(r[0], r[1])
		labelled := 0
		for _, tk := range ticks {
			if tk.Label != "" && tk.Value >= r[0]*(1-1e-9) && tk.Value <= r[1]*(1+1e-9) {
				labelled++
			}
		}
		if labelled < 2 {
			t.Errorf("range %v: %d labelled ticks (%v), want >= 2", r, labelled, ticks)
		}
		if labelled > 12 {
			t.Errorf("range %v: %d labelled ticks, want at most 12", r, labelled)
		}
	}
	for _, r := range [][2]float64{{0, 1}, {-1, 1}, {1, 1}, {5, 2}, {math.NaN(), 1}} {
		_ = LogTicks{}.Ticks(r[0], r[1]) // must not panic
	}
}

// TestHistoryFigure checks the grouping of a learning curve: returns
// share a panel, the loss gets its own, eval_return carries its std band
// and a wide positive quantity is drawn on a log axis.
func TestHistoryFigure(t *testing.T) {
	h := History{
		{"iter": 1, "loss": 100, "eval_return": -900, "eval_std": 50, "expert_return": -150},
		{"iter": 2, "loss": 1, "expert_return": -150},
		{"iter": 3, "loss": 0.5, "eval_return": -300, "eval_std": 20, "expert_return": -150},
	}
	f := HistoryFigure("t", "iter", []string{"eval_return", "loss", "expert_return"}, h)
	if len(f.Panels) != 2 {
		t.Fatalf("%d panels, want 2 (returns, loss)", len(f.Panels))
	}
	ret, loss := f.Panels[0], f.Panels[1]
	if len(ret.Series) != 2 || len(loss.Series) != 1 {
		t.Fatalf("series per panel %d, %d; want 2, 1", len(ret.Series), len(loss.Series))
	}
	ev := ret.Series[0]
	if len(ev.X) != 2 || ev.Lo[1] != -320 || ev.Hi[1] != -280 {
		t.Errorf("eval_return series %+v, want 2 points with band -+ eval_std", ev)
	}
	if ret.LogY || !loss.LogY {
		t.Errorf("log y: returns %v, loss %v; want false, true", ret.LogY, loss.LogY)
	}
	if f.XLabel != "iteration" {
		t.Errorf("x label %q, want iteration", f.XLabel)
	}
}

// TestSaveFigure checks that SaveFigure writes the PNG and its SVG twin.
func TestSaveFigure(t *testing.T) {
	dir := t.TempDir()
	f := &Figure{Title: "t", Panels: []Panel{{Series: []Series{{Name: "a", X: []float64{1, 2}, Y: []float64{1, 2}}}}}}
	if err := SaveFigure(filepath.Join(dir, "a.png"), f); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.png", "a.svg"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// BenchmarkFigurePNG times drawing a three-panel learning curve of 200
// iterations, which a run redraws every five iterations.
func BenchmarkFigurePNG(b *testing.B) {
	var h History
	for i := range 200 {
		h = append(h, map[string]float64{"iter": float64(i + 1), "loss": 1 / float64(i+1), "grad_norm": float64(i), "eval_return": -float64(200 - i), "eval_std": 10})
	}
	f := HistoryFigure("bench", "iter", []string{"loss", "grad_norm", "eval_return"}, h)
	for b.Loop() {
		if _, err := f.PNG(); err != nil {
			b.Fatal(err)
		}
	}
}
