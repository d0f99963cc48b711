package blas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// gemvKinds are the inputs of TestExactDgemvBitIdentical: random values,
// signed zeros, infinities and NaNs (with distinct payloads, signs and a
// signalling one, so the operand order of every multiply and add shows)
// in A, x and y, and a mix of all.
var gemvKinds = []string{"random", "zeros", "inf", "nan", "mixed"}

// gemvSpecial returns a special value for kind.
func gemvSpecial(rng *rand.Rand, kind string) float64 {
	nans := []uint64{0x7ff8000000000000, 0xfff8000000000000, 0x7ff8000000000abc, 0xfffc0000000001ef, 0x7ff0000000000001}
	switch kind {
	case "zeros":
		return math.Copysign(0, float64(rng.IntN(2))-0.5)
	case "inf":
		return math.Inf(2*rng.IntN(2) - 1)
	case "nan":
		return math.Float64frombits(nans[rng.IntN(len(nans))])
	}
	switch rng.IntN(3) {
	case 0:
		return gemvSpecial(rng, "zeros")
	case 1:
		return gemvSpecial(rng, "inf")
	}
	return gemvSpecial(rng, "nan")
}

// TestExactDgemvBitIdentical compares Exact's Dgemv with gonum's bit for
// bit, NaN payloads included, and checks that it touches nothing outside y
// [n]: every shape m, n = 1..70 (around the kernel's 4, 8, 16 and 32
// columns and gonum's blocks of 4 rows), the project's layers (3x64,
// 4x64, 64x64, 64x1, 64x3) with every input kind, beta (0, -0, 1 and
// others: gonum clears, keeps or scales y) and alpha (1, others, -Inf,
// NaN), padded leading dimensions, and the cases Exact hands to gonum
// (NoTrans, strided x or y, alpha 0, NaN beta). Breaking the kernel's
// operand order, using a fused multiply-add or dropping a lane makes it
// fail.
func TestExactDgemvBitIdentical(t *testing.T) {
	if !ExactAccelerated() {
		t.Log("no AVX2: Exact's Dgemv is gonum's; the comparison still runs")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	betas := []float64{0, 1, 0.5, -3, math.Inf(1), math.Copysign(0, -1)}
	alphas := []float64{1, -1, 0.25, 1.5, math.Inf(-1), math.NaN()}
	var c int
	for m := 1; m <= 70; m++ {
		for n := 1; n <= 70; n++ {
			kind := gemvKinds[c%len(gemvKinds)]
			beta, alpha := betas[c/len(gemvKinds)%len(betas)], alphas[c/7%len(alphas)]
			checkGemv(t, rng, gblas.Trans, m, n, alpha, beta, kind, c%3, 1, 1)
			c++
		}
	}
	for _, s := range [][2]int{{3, 64}, {4, 64}, {64, 64}, {64, 1}, {64, 3}} {
		for _, kind := range gemvKinds {
			for _, beta := range betas {
				for _, alpha := range alphas {
					for _, tA := range []gblas.Transpose{gblas.Trans, gblas.ConjTrans, gblas.NoTrans} {
						checkGemv(t, rng, tA, s[0], s[1], alpha, beta, kind, c%3, 1, 1)
						c++
					}
				}
			}
		}
	}
	for _, tc := range []struct {
		alpha, beta float64
		incX, incY  int
	}{{1, 1, 2, 1}, {1, 1, 1, -1}, {0, 0.5, 1, 1}, {0, 1, 1, 1}, {1, math.NaN(), 1, 1}, {2, 0, -1, 3}} {
		checkGemv(t, rng, gblas.Trans, 13, 37, tc.alpha, tc.beta, "mixed", 1, tc.incX, tc.incY)
	}
}

// checkGemv runs gonum's and Exact's Dgemv on the same inputs of the kind
// and fails on the first bit that differs.
func checkGemv(t *testing.T, rng *rand.Rand, tA gblas.Transpose, m, n int, alpha, beta float64, kind string, pad, incX, incY int) {
	t.Helper()
	lenX, lenY := m, n
	if tA == gblas.NoTrans {
		lenX, lenY = n, m
	}
	abs := func(i int) int { return max(i, -i) }
	lda := n + pad
	a := make([]float64, m*lda)
	x := make([]float64, 1+(lenX-1)*abs(incX)+pad)
	y := make([]float64, 1+(lenY-1)*abs(incY)+pad)
	for _, v := range [][]float64{a, x, y} {
		for i := range v {
			v[i] = 2*rng.Float64() - 1
		}
		if kind != "random" {
			for range 1 + len(v)/8 {
				v[rng.IntN(len(v))] = gemvSpecial(rng, kind)
			}
		}
	}
	want := append([]float64(nil), y...)
	gonum.Implementation{}.Dgemv(tA, m, n, alpha, a, lda, x, incX, beta, want, incY)
	got := append([]float64(nil), y...)
	Exact{}.Dgemv(tA, m, n, alpha, a, lda, x, incX, beta, got, incY)
	for i := range want {
		if w, g := math.Float64bits(want[i]), math.Float64bits(got[i]); w != g {
			t.Fatalf("%c m=%d n=%d alpha=%g beta=%g %s pad=%d inc=%d,%d: y[%d] = %v (%#x), gonum %v (%#x)",
				tA, m, n, alpha, beta, kind, pad, incX, incY, i, got[i], g, want[i], w)
		}
	}
}

// TestExactDgemvNoAllocs checks that Exact's Dgemv allocates nothing.
func TestExactDgemvNoAllocs(t *testing.T) {
	a, x, y := make([]float64, 64*64), make([]float64, 64), make([]float64, 64)
	for _, s := range [][2]int{{3, 64}, {64, 64}, {64, 3}} {
		if n := testing.AllocsPerRun(10, func() {
			Exact{}.Dgemv(gblas.Trans, s[0], s[1], 1, a, s[1], x, 1, 1, y, 1)
		}); n != 0 {
			t.Errorf("%dx%d: %v allocations per call, want 0", s[0], s[1], n)
		}
	}
}

// TestExactDgemvPanicsAsGonum checks that invalid arguments panic with
// gonum's messages.
func TestExactDgemvPanicsAsGonum(t *testing.T) {
	a, x, y := make([]float64, 64), make([]float64, 8), make([]float64, 8)
	for _, tc := range []struct {
		name string
		call func(impl gblas.Float64)
	}{
		{"short a", func(impl gblas.Float64) { impl.Dgemv(gblas.Trans, 8, 8, 1, a[:60], 8, x, 1, 1, y, 1) }},
		{"short x", func(impl gblas.Float64) { impl.Dgemv(gblas.Trans, 8, 8, 1, a, 8, x[:7], 1, 1, y, 1) }},
		{"short y", func(impl gblas.Float64) { impl.Dgemv(gblas.Trans, 8, 8, 1, a, 8, x, 1, 1, y[:7], 1) }},
		{"bad lda", func(impl gblas.Float64) { impl.Dgemv(gblas.Trans, 8, 8, 1, a, 7, x, 1, 1, y, 1) }},
		{"negative m", func(impl gblas.Float64) { impl.Dgemv(gblas.Trans, -1, 8, 1, a, 8, x, 1, 1, y, 1) }},
		{"zero incX", func(impl gblas.Float64) { impl.Dgemv(gblas.Trans, 8, 8, 1, a, 8, x, 0, 1, y, 1) }},
		{"bad transpose", func(impl gblas.Float64) { impl.Dgemv('x', 8, 8, 1, a, 8, x, 1, 1, y, 1) }},
	} {
		msg := func(impl gblas.Float64) (r any) {
			defer func() { r = recover() }()
			tc.call(impl)
			return nil
		}
		if w, g := msg(gonum.Implementation{}), msg(Exact{}); w == nil || w != g {
			t.Errorf("%s: Exact panics with %v, gonum with %v", tc.name, g, w)
		}
	}
}

// BenchmarkExactDgemv times Exact's and gonum's Dgemv (Trans, beta 1) on
// the single-point layers of the 3-64-64-1 policy and the 4-64-64-3
// dynamics model (A [in, out]).
func BenchmarkExactDgemv(b *testing.B) {
	for _, s := range [][2]int{{3, 64}, {4, 64}, {64, 64}, {64, 1}, {64, 3}} {
		m, n := s[0], s[1]
		rng := rand.New(rand.NewPCG(1, 2))
		mk := func(k int) []float64 {
			v := make([]float64, k)
			for i := range v {
				v[i] = 2*rng.Float64() - 1
			}
			return v
		}
		a, x, y := mk(m*n), mk(m), mk(n)
		for _, impl := range []struct {
			name string
			f    gblas.Float64
		}{{"gonum", gonum.Implementation{}}, {"exact", Exact{}}} {
			b.Run(fmt.Sprintf("T/%dx%d/%s", m, n, impl.name), func(b *testing.B) {
				cpu0 := cpuTime()
				for b.Loop() {
					impl.f.Dgemv(gblas.Trans, m, n, 1, a, n, x, 1, 1, y, 1)
				}
				reportFlops(b, 2*float64(m*n), cpu0)
			})
		}
	}
}
