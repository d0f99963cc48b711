package blas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// TestExactBitIdentical compares Exact's Dgemm with gonum's bit for bit
// (and the elements of C outside the matrix untouched) over the shapes of
// the project's graphs, shapes around the kernels' tile edges and gonum's
// 64-block split, every transpose, beta 0, 1 and 0.5, leading dimensions
// with padding, and special inputs: zeros in A (gonum skips those terms),
// zeros in A with Inf or NaN in B and with -0 in C (where Exact must fall
// back), signed zeros everywhere, NaN and Inf elsewhere. It covers every
// path of Exact: the 4×8, 4×q and 1×8 axpy tiles (A·B and Aᵀ·B, also with
// n < 8 or m < 4), the 2×4 dot tiles (A·Bᵀ) and the short dot products of
// k < 4.
func TestExactBitIdentical(t *testing.T) {
	if !ExactAccelerated() {
		t.Log("no AVX2: Exact's Dgemm is gonum's; the comparison still runs")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	type shape struct{ m, n, k int }
	shapes := []shape{
		{256, 64, 4}, {256, 64, 64}, {256, 3, 64}, {64, 64, 256}, {4, 64, 256}, {64, 3, 256},
		{32, 64, 3}, {32, 64, 64}, {32, 1, 64}, {64, 64, 32}, {3, 64, 32}, {64, 1, 32},
		{128, 128, 70}, {130, 67, 129}, {5, 9, 1}, {4, 8, 4}, {7, 13, 5}, {2, 4, 4}, {9, 17, 66},
		// The narrow products: output layer forward (n = 1, 3) and weight
		// gradient (Aᵀ·B, n = 1, 3), its input gradient (A·Bᵀ, k = 1, 3),
		// the first layer's weight gradient with m = 3, a k = 3 product
		// wider than dotShort's pass, and large n = 3 products.
		{256, 3, 64}, {32, 1, 64}, {64, 3, 256}, {64, 1, 32}, {256, 64, 3}, {32, 64, 1},
		{3, 64, 256}, {3, 64, 32}, {32, 3, 64}, {1, 64, 64}, {64, 150, 3}, {700, 300, 3}, {2001, 3, 67},
		// The single-point backward of nn's MLP (R·Wᵀ with 1 or 3 seed
		// rows): through the output layer (k = 1, 3), a hidden layer and
		// the input layer; and the 8-row dot tiles over 16 and 12 rows.
		{1, 64, 1}, {3, 64, 3}, {1, 64, 64}, {3, 64, 64}, {1, 3, 64}, {3, 4, 64}, {16, 3, 64}, {12, 1, 8},
	}
	for range 40 {
		shapes = append(shapes, shape{1 + rng.IntN(80), 1 + rng.IntN(80), 1 + rng.IntN(140)})
	}
	// Every edge of the narrow paths: m and n on both sides of the tiles'
	// 4 and 8 (and of dotShort's 64 columns), k below and at 4.
	for _, m := range []int{1, 3, 4, 5, 9} {
		for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 11, 67} {
			for _, k := range []int{1, 2, 3, 4, 6} {
				shapes = append(shapes, shape{m, n, k})
			}
		}
	}
	trans := []gblas.Transpose{gblas.NoTrans, gblas.Trans}
	kinds := []string{"random", "zerosA", "zerosA+infB", "zerosA+negzeroC", "nan", "sparse", "signedzeros"}
	// Odd cases run on one thread, even ones with GOMAXPROCS 2 (Dgemm must
	// not depend on it). The kind of input
	// moves on with every case (7 kinds, 12 cases per shape), so each
	// transpose and beta meets every kind over the shapes.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var n int
	for _, s := range shapes {
		for _, tA := range trans {
			for _, tB := range trans {
				for _, beta := range []float64{0, 1, 0.5} {
					kind := kinds[n%len(kinds)]
					runtime.GOMAXPROCS(1 + n%2)
					n++
					pad := n % 3
					name := fmt.Sprintf("%v%v/%dx%dx%d/beta=%g/%s/pad=%d", tA, tB, s.m, s.n, s.k, beta, kind, pad)
					checkExact(t, name, rng, tA, tB, s.m, s.n, s.k, beta, kind, pad)
				}
			}
		}
	}
}

func checkExact(t *testing.T, name string, rng *rand.Rand, tA, tB gblas.Transpose, m, n, k int, beta float64, kind string, pad int) {
	t.Helper()
	ar, ac := m, k
	if tA != gblas.NoTrans {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB != gblas.NoTrans {
		br, bc = n, k
	}
	lda, ldb, ldc := ac+pad, bc+pad, n+pad
	a := make([]float64, ar*lda)
	b := make([]float64, br*ldb)
	c := make([]float64, m*ldc)
	fill := func(x []float64) {
		for i := range x {
			x[i] = 2*rng.Float64() - 1
		}
	}
	fill(a)
	fill(b)
	fill(c)
	switch kind {
	case "zerosA", "sparse":
		for i := range a {
			if rng.IntN(3) == 0 {
				a[i] = 0
			}
		}
		if kind == "sparse" {
			for i := range b {
				if rng.IntN(4) == 0 {
					b[i] = math.Copysign(0, -1)
				}
			}
		}
	case "zerosA+infB":
		a[rng.IntN(len(a))] = 0
		b[rng.IntN(len(b))] = math.Inf(1)
	case "zerosA+negzeroC":
		a[rng.IntN(len(a))] = 0
		for i := range c {
			c[i] = math.Copysign(0, -1)
		}
	case "signedzeros":
		// Products of ±0 in every sign against C = -0: gonum's dot
		// products start from +0, its axpy skips zero A terms.
		for i := range a {
			if rng.IntN(3) == 0 {
				a[i] = 0
			}
		}
		for i := range b {
			if rng.IntN(4) == 0 {
				b[i] = math.Copysign(0, -1)
			}
		}
		for i := range c {
			c[i] = math.Copysign(0, -1)
		}
	case "nan":
		a[rng.IntN(len(a))] = math.NaN()
		b[rng.IntN(len(b))] = math.Inf(-1)
	}
	want := append([]float64(nil), c...)
	gonum.Implementation{}.Dgemm(tA, tB, m, n, k, 1, a, lda, b, ldb, beta, want, ldc)
	got := append([]float64(nil), c...)
	Exact{}.Dgemm(tA, tB, m, n, k, 1, a, lda, b, ldb, beta, got, ldc)
	for i := range want {
		w, g := want[i], got[i]
		if math.Float64bits(w) != math.Float64bits(g) && !(math.IsNaN(w) && math.IsNaN(g)) {
			t.Fatalf("%s: c[%d] (row %d, col %d) = %v (%#x), gonum %v (%#x)", name, i, i/ldc, i%ldc, g, math.Float64bits(g), w, math.Float64bits(w))
		}
	}
}

// TestExactNoAllocs checks that Exact's Dgemm allocates nothing on every
// serial path: 4×8, 4×q and 1×8 axpy tiles, 2×4, 8×1, 4×1 and q×1 dot tiles
// and the short dot products (4×8 and 1×8 tiles).
func TestExactNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		tA, tB  gblas.Transpose
		m, n, k int
	}{
		{gblas.NoTrans, gblas.NoTrans, 32, 64, 64}, {gblas.NoTrans, gblas.NoTrans, 32, 3, 64},
		{gblas.Trans, gblas.NoTrans, 3, 64, 32}, {gblas.Trans, gblas.NoTrans, 64, 1, 32},
		{gblas.NoTrans, gblas.Trans, 33, 64, 64}, {gblas.NoTrans, gblas.Trans, 32, 3, 64},
		{gblas.NoTrans, gblas.Trans, 32, 64, 3}, {gblas.NoTrans, gblas.Trans, 3, 64, 3},
		{gblas.NoTrans, gblas.Trans, 1, 64, 64}, {gblas.NoTrans, gblas.Trans, 16, 3, 64},
		{gblas.NoTrans, gblas.Trans, 1, 3, 64}, {gblas.NoTrans, gblas.Trans, 3, 7, 64},
	} {
		lda, ldb := tc.k, tc.n
		if tc.tA != gblas.NoTrans {
			lda = tc.m
		}
		if tc.tB != gblas.NoTrans {
			ldb = tc.k
		}
		a, b, c := make([]float64, tc.m*tc.k), make([]float64, tc.k*tc.n), make([]float64, tc.m*tc.n)
		for _, x := range [][]float64{a, b} {
			for i := range x {
				x[i] = 2*rng.Float64() - 1
			}
		}
		if n := testing.AllocsPerRun(10, func() {
			Exact{}.Dgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, a, lda, b, ldb, 0, c, tc.n)
		}); n != 0 {
			t.Errorf("%v%v %dx%dx%d: %v allocations per call, want 0", tc.tA, tc.tB, tc.m, tc.n, tc.k, n)
		}
	}
}

// TestExactPanicsAsGonum checks that invalid arguments panic with gonum's
// messages.
func TestExactPanicsAsGonum(t *testing.T) {
	a, b, c := make([]float64, 64), make([]float64, 64), make([]float64, 64)
	for _, tc := range []struct {
		name string
		call func(impl gblas.Float64)
	}{
		{"short a", func(impl gblas.Float64) {
			impl.Dgemm(gblas.NoTrans, gblas.NoTrans, 8, 8, 8, 1, a[:10], 8, b, 8, 0, c, 8)
		}},
		{"bad ldc", func(impl gblas.Float64) { impl.Dgemm(gblas.NoTrans, gblas.Trans, 4, 8, 4, 1, a, 4, b, 4, 0, c, 4) }},
		{"bad transpose", func(impl gblas.Float64) { impl.Dgemm('x', gblas.NoTrans, 4, 8, 4, 1, a, 4, b, 8, 0, c, 8) }},
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

// BenchmarkExactDgemm times Exact's and gonum's Dgemm on the products of a
// 4-64-64-3 MLP training step at batch 256, of a BPTT step at batch 64,
// and on the narrow products (n, k or m below 4) of the MLP and of the
// 3-64-64-1 and 4-64-64-3 networks of BPTT at batch 32, and on the
// single-point backward of those networks.
func BenchmarkExactDgemm(b *testing.B) {
	type prod struct {
		name    string
		tA, tB  gblas.Transpose
		m, n, k int
	}
	for _, p := range []prod{
		{"NN/256x64x64", gblas.NoTrans, gblas.NoTrans, 256, 64, 64},
		{"NT/256x64x64", gblas.NoTrans, gblas.Trans, 256, 64, 64},
		{"TN/64x64x256", gblas.Trans, gblas.NoTrans, 64, 64, 256},
		{"NN/64x64x64", gblas.NoTrans, gblas.NoTrans, 64, 64, 64},
		{"NT/64x64x64", gblas.NoTrans, gblas.Trans, 64, 64, 64},
		{"TN/64x64x64", gblas.Trans, gblas.NoTrans, 64, 64, 64},
		// The narrow products: output layer forward, weight and input
		// gradients at batch 256 and 32, first layer weight gradient with
		// 3 inputs, and the BPTT input gradient through a 3-input layer.
		{"NN/256x3x64", gblas.NoTrans, gblas.NoTrans, 256, 3, 64},
		{"NN/32x1x64", gblas.NoTrans, gblas.NoTrans, 32, 1, 64},
		{"TN/64x3x256", gblas.Trans, gblas.NoTrans, 64, 3, 256},
		{"TN/64x1x32", gblas.Trans, gblas.NoTrans, 64, 1, 32},
		{"NT/256x64x3", gblas.NoTrans, gblas.Trans, 256, 64, 3},
		{"NT/32x64x1", gblas.NoTrans, gblas.Trans, 32, 64, 1},
		{"NN/256x64x4", gblas.NoTrans, gblas.NoTrans, 256, 64, 4},
		{"TN/4x64x256", gblas.Trans, gblas.NoTrans, 4, 64, 256},
		{"TN/3x64x256", gblas.Trans, gblas.NoTrans, 3, 64, 256},
		{"TN/3x64x32", gblas.Trans, gblas.NoTrans, 3, 64, 32},
		{"NT/32x3x64", gblas.NoTrans, gblas.Trans, 32, 3, 64},
		// The single-point backward of nn's MLP: R·Wᵀ with one seed row
		// (policy VJP and Jacobian) or three (dynamics Jacobian).
		{"NT/1x64x1", gblas.NoTrans, gblas.Trans, 1, 64, 1},
		{"NT/1x64x64", gblas.NoTrans, gblas.Trans, 1, 64, 64},
		{"NT/1x3x64", gblas.NoTrans, gblas.Trans, 1, 3, 64},
		{"NT/3x64x3", gblas.NoTrans, gblas.Trans, 3, 64, 3},
		{"NT/3x64x64", gblas.NoTrans, gblas.Trans, 3, 64, 64},
		{"NT/3x4x64", gblas.NoTrans, gblas.Trans, 3, 4, 64},
	} {
		rng := rand.New(rand.NewPCG(1, 2))
		mk := func(n int) []float64 {
			x := make([]float64, n)
			for i := range x {
				x[i] = 2*rng.Float64() - 1
			}
			return x
		}
		a, bb, c := mk(p.m*p.k), mk(p.k*p.n), mk(p.m*p.n)
		lda, ldb := p.k, p.n
		if p.tA != gblas.NoTrans {
			lda = p.m
		}
		if p.tB != gblas.NoTrans {
			ldb = p.k
		}
		for _, impl := range []struct {
			name string
			f    gblas.Float64
		}{{"gonum", gonum.Implementation{}}, {"exact", Exact{}}} {
			b.Run(p.name+"/"+impl.name, func(b *testing.B) {
				cpu0 := cpuTime()
				for b.Loop() {
					impl.f.Dgemm(p.tA, p.tB, p.m, p.n, p.k, 1, a, lda, bb, ldb, 0, c, p.n)
				}
				reportFlops(b, 2*float64(p.m*p.n*p.k), cpu0)
			})
		}
	}
}

// TestDgemmRowsBitIdentical: any split of C's rows computed by DgemmRows
// gives Dgemm's bits, for every transpose pair DgemmRows covers and shapes
// on both sides of the kernels' tiles and of gonum's 64×64 blocking.
func TestDgemmRowsBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	impl := Exact{}
	for _, tc := range []struct {
		tA, tB  gblas.Transpose
		m, n, k int
	}{
		{gblas.NoTrans, gblas.NoTrans, 256, 64, 64}, {gblas.NoTrans, gblas.NoTrans, 37, 3, 9},
		{gblas.Trans, gblas.NoTrans, 64, 64, 256}, {gblas.Trans, gblas.NoTrans, 13, 3, 40},
		{gblas.NoTrans, gblas.Trans, 256, 64, 64}, {gblas.NoTrans, gblas.Trans, 256, 64, 3},
		{gblas.NoTrans, gblas.Trans, 130, 70, 12}, {gblas.NoTrans, gblas.Trans, 9, 2, 4},
	} {
		ar, ac := tc.m, tc.k
		if tc.tA == gblas.Trans {
			ar, ac = tc.k, tc.m
		}
		br, bc := tc.k, tc.n
		if tc.tB == gblas.Trans {
			br, bc = tc.n, tc.k
		}
		a, b := make([]float64, ar*ac), make([]float64, br*bc)
		for i := range a {
			a[i] = rng.NormFloat64()
		}
		for i := range b {
			b[i] = rng.NormFloat64()
		}
		for _, beta := range []float64{0, 1} {
			c0 := make([]float64, tc.m*tc.n)
			for i := range c0 {
				c0[i] = rng.NormFloat64()
			}
			want := append([]float64(nil), c0...)
			impl.Dgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, a, ac, b, bc, beta, want, tc.n)
			if !impl.RowSplit(tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, a, ac, b, bc, beta, c0, tc.n) {
				if haveExact {
					t.Fatalf("%+v: RowSplit false", tc)
				}
				continue
			}
			for _, cut := range []int{0, 1, 3, 4, tc.m / 2, tc.m - 1} {
				got := append([]float64(nil), c0...)
				impl.DgemmRows(tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, a, ac, b, bc, beta, got, tc.n, cut, tc.m)
				impl.DgemmRows(tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, a, ac, b, bc, beta, got, tc.n, 0, cut)
				for i := range want {
					if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
						t.Fatalf("%+v beta %v cut %d: element %d %v, Dgemm %v", tc, beta, cut, i, got[i], want[i])
					}
				}
			}
		}
	}
}
