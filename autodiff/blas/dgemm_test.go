package blas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// sentinel marks elements of C outside the m×n matrix (the gap between n
// and ldc, and the slack before and after); Dgemm must leave them alone.
const sentinel = -12345.678

// gemmCase is one Dgemm call: sizes, transposes, scalars and the padding
// of each leading dimension beyond its minimum.
type gemmCase struct {
	tA, tB           gblas.Transpose
	m, n, k          int
	alpha, beta      float64
	padA, padB, padC int
	nanC             bool // fill C with NaN (only meaningful with beta 0)
}

func (tc gemmCase) String() string {
	t := func(x gblas.Transpose) string {
		if x == gblas.NoTrans {
			return "N"
		}
		return "T"
	}
	return fmt.Sprintf("%s%s/m=%d,n=%d,k=%d/alpha=%g,beta=%g/pad=%d,%d,%d/nan=%v",
		t(tc.tA), t(tc.tB), tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.padA, tc.padB, tc.padC, tc.nanC)
}

// operands holds a case's matrices inside larger slices (an offset in front
// and slack behind), so that Dgemm sees sub-slices.
type operands struct {
	a, b, c         []float64 // the slices given to Dgemm
	lda, ldb, ldc   int
	cFull           []float64 // c with its surroundings
	cOff            int
	aRows, aCols    int // A as stored (k×m when transposed)
	bRows, bCols    int
	cBefore         []float64 // C's values before the call
	off             int
	sentinelsInside bool
}

func newOperands(tc gemmCase, rng *rand.Rand) operands {
	var o operands
	o.aRows, o.aCols = tc.m, tc.k
	if tc.tA != gblas.NoTrans {
		o.aRows, o.aCols = tc.k, tc.m
	}
	o.bRows, o.bCols = tc.k, tc.n
	if tc.tB != gblas.NoTrans {
		o.bRows, o.bCols = tc.n, tc.k
	}
	o.lda = max(1, o.aCols) + tc.padA
	o.ldb = max(1, o.bCols) + tc.padB
	o.ldc = max(1, tc.n) + tc.padC
	const off = 3
	o.off = off
	fill := func(rows, cols, ld int, nan bool) ([]float64, []float64) {
		full := make([]float64, off+rows*ld+5)
		for i := range full {
			full[i] = sentinel
		}
		for i := range rows {
			for j := range cols {
				v := rng.NormFloat64()
				if nan {
					v = math.NaN()
				}
				full[off+i*ld+j] = v
			}
		}
		// The slice Dgemm sees starts at the first element and is the
		// shortest BLAS allows.
		end := off + max(0, (rows-1)*ld+cols)
		return full, full[off:end]
	}
	_, o.a = fill(o.aRows, o.aCols, o.lda, false)
	_, o.b = fill(o.bRows, o.bCols, o.ldb, false)
	o.cFull, o.c = fill(tc.m, tc.n, o.ldc, tc.nanC)
	o.cBefore = append([]float64(nil), o.cFull...)
	return o
}

func (o operands) at(s []float64, ld int, trans bool, i, j int) float64 {
	if trans {
		return s[j*ld+i]
	}
	return s[i*ld+j]
}

// check compares C after the call with a plain triple-loop reference. Both
// sums of k products have a rounding error of at most about
// k·eps·Σ_p |A_ip||B_pj| (Higham, Accuracy and Stability of Numerical
// Algorithms, 2nd ed., eq. 3.5), the scaling by alpha and the beta·C term
// add a few eps more, so the two may differ by
// 2(k+3)·eps·(|alpha|·Σ_p |A_ip||B_pj| + |beta||C_ij|).
func (o operands) check(t *testing.T, tc gemmCase) {
	t.Helper()
	const eps = 0x1p-52
	aT, bT := tc.tA != gblas.NoTrans, tc.tB != gblas.NoTrans
	for i := range tc.m {
		for j := range tc.n {
			var sum, abs float64
			for p := range tc.k {
				x := o.at(o.a, o.lda, aT, i, p) * o.at(o.b, o.ldb, bT, p, j)
				sum += x
				abs += math.Abs(x)
			}
			old := o.cBefore[o.off+i*o.ldc+j]
			want := tc.alpha * sum
			bound := 2 * float64(tc.k+3) * eps * math.Abs(tc.alpha) * abs
			if tc.beta != 0 {
				want += tc.beta * old
				bound += 2 * float64(tc.k+3) * eps * math.Abs(tc.beta*old)
			}
			got := o.c[i*o.ldc+j]
			if math.IsNaN(got) || math.Abs(got-want) > bound {
				t.Fatalf("%v: C[%d,%d] = %v, want %v ± %.3g", tc, i, j, got, want, bound)
			}
		}
	}
	// Nothing outside C changes.
	for idx, v := range o.cFull {
		r, col := (idx-o.off)/o.ldc, (idx-o.off)%o.ldc
		if idx >= o.off && r < tc.m && col < tc.n {
			continue
		}
		if v != sentinel {
			t.Fatalf("%v: element %d outside C changed to %v", tc, idx, v)
		}
	}
}

// cases returns the correctness table: every combination of small sizes
// and transposes, with scalar pairs and leading-dimension padding cycling
// through their options, and with all set the products beyond one block in
// every direction.
func cases(all bool) []gemmCase {
	dims := []int{1, 2, 5, 6, 7, 8, 9, 13, 17, 64}
	ks := []int{0, 1, 3, 4, 8, 64, 257}
	trans := []gblas.Transpose{gblas.NoTrans, gblas.Trans}
	scalars := [][2]float64{{1, 0}, {1, 1}, {-0.5, 2}, {0, 0.5}, {2.5, -1}}
	var out []gemmCase
	i := 0
	for _, tA := range trans {
		for _, tB := range trans {
			for _, m := range dims {
				for _, n := range dims {
					for _, k := range ks {
						s := scalars[i%len(scalars)]
						pad := i % 3
						out = append(out, gemmCase{tA: tA, tB: tB, m: m, n: n, k: k,
							alpha: s[0], beta: s[1], padA: pad, padB: (pad + 1) % 3, padC: (pad + 2) % 3,
							nanC: s[1] == 0 && i%2 == 0})
						i++
					}
				}
			}
		}
	}
	// Empty products, the shapes of an MLP step and (all) beyond one block
	// in every direction.
	big := [][3]int{
		{0, 5, 7}, {5, 0, 7}, {0, 0, 0},
		{256, 64, 64}, {256, 4, 64}, {256, 64, 3}, {64, 64, 256}, {64, 3, 256}, {32, 64, 3},
	}
	if all {
		big = append(big, [3]int{200, 9, 30}, [3]int{7, 2100, 9}, [3]int{13, 17, 600}, [3]int{97, 130, 520})
	}
	for _, tA := range trans {
		for _, tB := range trans {
			for j, s := range big {
				sc := scalars[j%len(scalars)]
				out = append(out, gemmCase{tA: tA, tB: tB, m: s[0], n: s[1], k: s[2],
					alpha: sc[0], beta: sc[1], padA: j % 2, padB: 2, padC: (j + 1) % 2, nanC: sc[1] == 0})
			}
		}
	}
	return out
}

// TestPacked runs the table through the packed kernel path, whatever the
// sizes (Dgemm itself sends small products to gonum).
func TestPacked(t *testing.T) {
	if !haveKernel {
		t.Skip("no micro-kernel on this CPU")
	}
	impl := New()
	rng := rand.New(rand.NewPCG(1, 1))
	for _, tc := range cases(true) {
		o := newOperands(tc, rng)
		impl.packed(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, o.a, o.lda, o.b, o.ldb, tc.beta, o.c, o.ldc)
		o.check(t, tc)
	}
}

// TestDgemm runs the table through Dgemm, as installed under Gorgonia
// (small products go to gonum; TestPacked covers the large ones).
func TestDgemm(t *testing.T) {
	impl := New()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range cases(false) {
		o := newOperands(tc, rng)
		impl.Dgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, o.a, o.lda, o.b, o.ldb, tc.beta, o.c, o.ldc)
		o.check(t, tc)
	}
}

// TestDgemmBetaOneAlphaZero checks that C is not touched (not even read:
// NaN stays NaN, and stays the same NaN) when nothing is to be added.
func TestDgemmBetaOneAlphaZero(t *testing.T) {
	impl := New()
	for _, k := range []int{0, 64} {
		a, b := make([]float64, 64*64), make([]float64, 64*64)
		c := []float64{math.Inf(1), math.NaN(), 3}
		impl.packed(gblas.NoTrans, gblas.NoTrans, 1, 3, k, 0, a, max(k, 1), b, 3, 1, c, 3)
		if !math.IsInf(c[0], 1) || !math.IsNaN(c[1]) || c[2] != 3 {
			t.Errorf("k=%d: C changed to %v", k, c)
		}
	}
}

// TestDgemmPanics checks that misuse panics with gonum's message.
func TestDgemmPanics(t *testing.T) {
	s := make([]float64, 100*100)
	tests := []struct {
		name                  string
		tA, tB                gblas.Transpose
		m, n, k, lda, ldb, ld int
		a, b, c               []float64
	}{
		{"transpose", 'X', gblas.NoTrans, 10, 10, 10, 10, 10, 10, s, s, s},
		{"m<0", gblas.NoTrans, gblas.NoTrans, -1, 10, 10, 10, 10, 10, s, s, s},
		{"n<0", gblas.NoTrans, gblas.NoTrans, 10, -1, 10, 10, 10, 10, s, s, s},
		{"k<0", gblas.NoTrans, gblas.NoTrans, 10, 10, -1, 10, 10, 10, s, s, s},
		{"lda", gblas.NoTrans, gblas.NoTrans, 10, 10, 10, 9, 10, 10, s, s, s},
		{"ldaT", gblas.Trans, gblas.NoTrans, 10, 10, 20, 9, 10, 10, s, s, s},
		{"ldb", gblas.NoTrans, gblas.NoTrans, 10, 10, 10, 10, 9, 10, s, s, s},
		{"ldc", gblas.NoTrans, gblas.NoTrans, 10, 10, 10, 10, 10, 9, s, s, s},
		{"shortA", gblas.NoTrans, gblas.NoTrans, 10, 10, 10, 10, 10, 10, s[:99], s, s},
		{"shortB", gblas.NoTrans, gblas.Trans, 10, 10, 10, 10, 10, 10, s, s[:99], s},
		{"shortC", gblas.NoTrans, gblas.NoTrans, 10, 10, 10, 10, 10, 10, s, s, s[:99]},
	}
	catch := func(f func()) (msg any) {
		defer func() { msg = recover() }()
		f()
		return nil
	}
	impl := New()
	for _, tc := range tests {
		want := catch(func() {
			gonum.Implementation{}.Dgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 0, tc.c, tc.ld)
		})
		if want == nil {
			t.Fatalf("%s: gonum does not panic", tc.name)
		}
		for name, f := range map[string]func(){
			"Dgemm":  func() { impl.Dgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 0, tc.c, tc.ld) },
			"packed": func() { impl.packed(tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 0, tc.c, tc.ld) },
		} {
			if name == "packed" && !haveKernel {
				continue
			}
			if got := catch(f); got != want {
				t.Errorf("%s %s: panic %v, want %v", name, tc.name, got, want)
			}
		}
	}
}

// FuzzDgemm compares the packed path with gonum's Dgemm on random shapes,
// transposes, scalars and leading dimensions.
func FuzzDgemm(f *testing.F) {
	f.Add(uint8(6), uint8(8), uint8(5), uint8(0), 1.0, 0.0, uint64(1), uint8(0))
	f.Add(uint8(31), uint8(3), uint8(64), uint8(3), -2.0, 0.5, uint64(2), uint8(7))
	f.Add(uint8(0), uint8(9), uint8(1), uint8(1), 1.0, 1.0, uint64(3), uint8(2))
	if !haveKernel {
		f.Skip("no micro-kernel on this CPU")
	}
	impl := New()
	f.Fuzz(func(t *testing.T, m, n, k, trans uint8, alpha, beta float64, seed uint64, pad uint8) {
		if math.IsNaN(alpha) || math.IsInf(alpha, 0) || math.Abs(alpha) > 1e100 ||
			math.IsNaN(beta) || math.IsInf(beta, 0) || math.Abs(beta) > 1e100 {
			t.Skip()
		}
		tA, tB := gblas.NoTrans, gblas.NoTrans
		if trans&1 != 0 {
			tA = gblas.Trans
		}
		if trans&2 != 0 {
			tB = gblas.Trans
		}
		tc := gemmCase{tA: tA, tB: tB, m: int(m), n: int(n), k: int(k) * (1 + int(trans>>2&3)), alpha: alpha, beta: beta,
			padA: int(pad & 3), padB: int(pad >> 2 & 3), padC: int(pad >> 4 & 3), nanC: beta == 0 && trans&16 != 0}
		rng := rand.New(rand.NewPCG(seed, 0))
		o := newOperands(tc, rng)
		ref := append([]float64(nil), o.cFull...)
		gonum.Implementation{}.Dgemm(tA, tB, tc.m, tc.n, tc.k, alpha, o.a, o.lda, o.b, o.ldb, beta, ref[o.off:o.off+len(o.c)], o.ldc)
		impl.packed(tA, tB, tc.m, tc.n, tc.k, alpha, o.a, o.lda, o.b, o.ldb, beta, o.c, o.ldc)
		o.check(t, tc)
		// gonum is held to the same bound, which makes the two agree to
		// within twice that bound.
		copy(o.cFull, ref)
		o.check(t, tc)
	})
}
