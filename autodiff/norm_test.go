package autodiff

import (
	"math"
	"testing"
)

func TestGlobalNorm(t *testing.T) {
	for _, tc := range []struct {
		name  string
		grads [][]float64
		want  float64
	}{
		{"nil", nil, 0},
		{"empty slices", [][]float64{nil, {}}, 0},
		{"zeros", [][]float64{{0, 0}, {0}}, 0},
		{"3-4-5", [][]float64{{3}, {4}}, 5},
		{"one slice", [][]float64{{1, 2, 2}}, 3},
		{"signs", [][]float64{{-1, 2}, {-2}, {-4}}, 5},
		{"huge", [][]float64{{3e200}, {-4e200}}, 5e200},
		{"huge many", [][]float64{{1e200, 1e200}, {1e200, 1e200}}, 2e200},
		{"tiny", [][]float64{{3e-200, 4e-200}}, 5e-200},
		{"mixed scales", [][]float64{{1e-300, 3e150}, {4e150}}, 5e150},
		{"max float", [][]float64{{math.MaxFloat64}}, math.MaxFloat64},
		{"max float pair", [][]float64{{math.MaxFloat64 / 2}, {-math.MaxFloat64 / 2}}, math.MaxFloat64 / math.Sqrt2},
		{"subnormal", [][]float64{{3 * math.SmallestNonzeroFloat64}, {4 * math.SmallestNonzeroFloat64}}, 5 * math.SmallestNonzeroFloat64},
		{"edge of safe range", [][]float64{{3e100, 4e100}, {1e-101}}, 5e100},
	} {
		got := GlobalNorm(tc.grads)
		// A handful of rounding steps: a few ulps.
		if math.Abs(got-tc.want) > 4e-16*tc.want && got != tc.want {
			t.Errorf("%s: GlobalNorm = %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := GlobalNorm([][]float64{{1}, {math.Inf(-1)}}); !math.IsInf(got, 1) {
		t.Errorf("GlobalNorm with -Inf = %v, want +Inf", got)
	}
	if got := GlobalNorm([][]float64{{math.Inf(1)}, {math.NaN()}}); !math.IsNaN(got) {
		t.Errorf("GlobalNorm with NaN = %v, want NaN", got)
	}
}

func TestGroupNorms(t *testing.T) {
	grads := [][]float64{{3}, {1, 2, 2}, {4}, {}, {5e200}}
	for _, tc := range []struct {
		name    string
		groups  []int
		nGroups int
		want    []float64
	}{
		{"one group", []int{0, 0, 0, 0, 0}, 1, []float64{GlobalNorm(grads)}},
		{"each own", []int{0, 1, 2, 3, 4}, 5, []float64{3, 3, 4, 0, 5e200}},
		{"pairs", []int{0, 1, 0, 1, 1}, 2, []float64{5, 5e200}},
		{"empty group", []int{2, 2, 2, 0, 0}, 3, []float64{5e200, 0, math.Sqrt(34)}},
	} {
		got := GroupNorms(grads, tc.groups, tc.nGroups)
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %d norms, want %d", tc.name, len(got), len(tc.want))
		}
		for k := range got {
			if math.Abs(got[k]-tc.want[k]) > 4e-16*tc.want[k] {
				t.Errorf("%s: group %d norm %v, want %v", tc.name, k, got[k], tc.want[k])
			}
		}
	}
}

func TestGroupNormsPanics(t *testing.T) {
	for _, tc := range []struct {
		name   string
		groups []int
	}{
		{"short groups", []int{0}},
		{"negative", []int{0, -1}},
		{"too large", []int{0, 2}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			GroupNorms([][]float64{{1}, {2}}, tc.groups, 2)
		}()
	}
}

func clone(g [][]float64) [][]float64 {
	c := make([][]float64, len(g))
	for i := range g {
		c[i] = append([]float64(nil), g[i]...)
	}
	return c
}

func TestClipByGlobalNorm(t *testing.T) {
	for _, tc := range []struct {
		name    string
		grads   [][]float64
		maxNorm float64
		clipped bool
	}{
		{"large", [][]float64{{3, 0}, {4}}, 1, true},
		{"large odd", [][]float64{{0.3, -7.1, 2.2}, {1e3}, {-4.4}}, 0.7, true},
		{"huge", [][]float64{{3e200}, {4e200}}, 2.5, true},
		{"equal", [][]float64{{3}, {4}}, 5, false},
		{"small", [][]float64{{0.3}, {0.4}}, 1, false},
		{"zero", [][]float64{{0}, {0}}, 1, false},
		{"disabled zero", [][]float64{{30}, {40}}, 0, false},
		{"disabled negative", [][]float64{{30}, {40}}, -1, false},
	} {
		orig := clone(tc.grads)
		pre := ClipByGlobalNorm(tc.grads, tc.maxNorm)
		if want := GlobalNorm(orig); pre != want {
			t.Errorf("%s: preClip %v, want %v", tc.name, pre, want)
		}
		if !tc.clipped {
			for i := range orig {
				for j := range orig[i] {
					if tc.grads[i][j] != orig[i][j] {
						t.Errorf("%s: grads[%d][%d] changed from %v to %v", tc.name, i, j, orig[i][j], tc.grads[i][j])
					}
				}
			}
			continue
		}
		// Scaled to maxNorm up to rounding in the scale factor and the norm.
		if got := GlobalNorm(tc.grads); math.Abs(got-tc.maxNorm) > 1e-15*tc.maxNorm {
			t.Errorf("%s: norm after clipping %v, want %v", tc.name, got, tc.maxNorm)
		}
		// Direction kept: every element scaled by the same factor.
		s := tc.maxNorm / pre
		for i := range orig {
			for j := range orig[i] {
				if want := orig[i][j] * s; tc.grads[i][j] != want {
					t.Errorf("%s: grads[%d][%d] = %v, want %v", tc.name, i, j, tc.grads[i][j], want)
				}
			}
		}
	}
}

func TestClipByGlobalNormNonFinite(t *testing.T) {
	g := [][]float64{{1, math.Inf(1)}}
	if pre := ClipByGlobalNorm(g, 1); !math.IsInf(pre, 1) || g[0][0] != 1 {
		t.Errorf("Inf: preClip %v, grads %v; want +Inf and untouched", pre, g)
	}
	g = [][]float64{{1, math.NaN()}}
	if pre := ClipByGlobalNorm(g, 1); !math.IsNaN(pre) || g[0][0] != 1 {
		t.Errorf("NaN: preClip %v, grads %v; want NaN and untouched", pre, g)
	}
}

func BenchmarkGlobalNorm(b *testing.B) {
	// Sizes of an MLP 5-64-64-3: weights and biases.
	sizes := []int{5 * 64, 64, 64 * 64, 64, 64 * 3, 3}
	grads := make([][]float64, len(sizes))
	for i, n := range sizes {
		grads[i] = make([]float64, n)
		for j := range grads[i] {
			grads[i][j] = math.Sin(float64(i*1000 + j))
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		GlobalNorm(grads)
	}
}
