package blas

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// refTanh returns tanh(x) to 128 bits: tanh|x| = em/(em+2) with
// em = expm1(2|x|) from its Taylor series (2|x| <= 1, all terms positive)
// or as exp(2|x|) - 1 (no cancellation beyond a bit), exp by its series on
// 2|x|/64 and six squarings.
func refTanh(x float64) *big.Float {
	const prec = 128
	y := new(big.Float).SetPrec(prec).SetFloat64(2 * math.Abs(x))
	series := func(y *big.Float) *big.Float { // Σ_{n>=1} y^n/n!
		sum := new(big.Float).SetPrec(prec)
		term := new(big.Float).SetPrec(prec).SetInt64(1)
		tiny := new(big.Float).SetPrec(prec)
		for n := int64(1); ; n++ {
			term.Mul(term, y)
			term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(n))
			sum.Add(sum, term)
			tiny.SetMantExp(sum, -prec)
			if term.Cmp(tiny) <= 0 {
				return sum
			}
		}
	}
	var em *big.Float
	if math.Abs(x) <= 0.5 {
		em = series(y)
	} else {
		e := series(new(big.Float).SetPrec(prec).SetMantExp(y, -6))
		one := new(big.Float).SetPrec(prec).SetInt64(1)
		e.Add(e, one)
		for range 6 {
			e.Mul(e, e)
		}
		em = e.Sub(e, one)
	}
	den := new(big.Float).SetPrec(prec).Add(em, new(big.Float).SetInt64(2))
	t := new(big.Float).SetPrec(prec).Quo(em, den)
	if math.Signbit(x) {
		t.Neg(t)
	}
	return t
}

// ulpErr returns |got - want| in units of the last place of want rounded
// to float64.
func ulpErr(got float64, want *big.Float) float64 {
	w, _ := want.Float64()
	ulp := math.Nextafter(math.Abs(w), math.Inf(1)) - math.Abs(w)
	d := new(big.Float).SetPrec(128).Sub(new(big.Float).SetFloat64(got), want)
	df, _ := d.Float64()
	return math.Abs(df) / ulp
}

// tanhGrid returns a dense grid over [-21, 21] (steps of about 0.007, off
// any simple fraction), log-spaced magnitudes from 1e-300 to 1 of both
// signs, and uniform random points in [-4, 4].
func tanhGrid() []float64 {
	var xs []float64
	for i := -3000; i <= 3000; i++ {
		xs = append(xs, float64(i)*0.0070000001)
	}
	for e := -300.0; e <= 0; e += 0.3 {
		xs = append(xs, math.Pow(10, e), -math.Pow(10, e))
	}
	rng := rand.New(rand.NewPCG(3, 5))
	for range 2000 {
		xs = append(xs, 8*rng.Float64()-4)
	}
	return xs
}

// TestTanhAccuracy bounds the error of Tanh against a 128-bit reference:
// at most 3 ulp everywhere on the grid (and the mean below 1 ulp), where
// math.Tanh itself is within about 1.5 ulp.
func TestTanhAccuracy(t *testing.T) {
	xs := tanhGrid()
	got := make([]float64, len(xs))
	Tanh(got, xs)
	var worst, worstStd, sum float64
	var worstX float64
	for i, x := range xs {
		ref := refTanh(x)
		e := ulpErr(got[i], ref)
		sum += e
		if e > worst {
			worst, worstX = e, x
		}
		worstStd = max(worstStd, ulpErr(math.Tanh(x), ref))
	}
	t.Logf("max error %.3f ulp at x=%v (math.Tanh: %.3f ulp), mean %.3f ulp over %d points", worst, worstX, worstStd, sum/float64(len(xs)), len(xs))
	if worst > 3 || sum/float64(len(xs)) > 1 {
		t.Errorf("max error %.3f ulp at x=%v, mean %.3f ulp: want at most 3 and 1", worst, worstX, sum/float64(len(xs)))
	}
}

// TestTanhSpecial checks math.Tanh's special cases and the saturation.
func TestTanhSpecial(t *testing.T) {
	negZero := math.Copysign(0, -1)
	tests := []struct {
		x, want float64
	}{
		{0, 0}, {negZero, negZero},
		{math.Inf(1), 1}, {math.Inf(-1), -1},
		{20, 1}, {-20, -1}, {1e300, 1}, {-math.MaxFloat64, -1},
		{5e-324, 5e-324}, {-5e-324, -5e-324}, {2.2250738585072014e-308, 2.2250738585072014e-308},
		{1e-20, 1e-20}, {-1e-10, -1e-10},
	}
	// Each value sits at every position of a 4-wide block and in the tail.
	for _, tc := range tests {
		for n := 1; n <= 9; n++ {
			for pos := range n {
				src := make([]float64, n)
				for i := range src {
					src[i] = 0.25 * float64(i)
				}
				src[pos] = tc.x
				dst := make([]float64, n)
				Tanh(dst, src)
				if dst[pos] != tc.want || math.Signbit(dst[pos]) != math.Signbit(tc.want) {
					t.Errorf("Tanh(%v) = %v at %d of %d, want %v", tc.x, dst[pos], pos, n, tc.want)
				}
			}
		}
	}
	nan := math.Float64frombits(0x7ff8000000000123)
	src := []float64{1, nan, math.NaN(), -math.NaN(), 2}
	dst := make([]float64, len(src))
	Tanh(dst, src)
	for i, x := range src {
		if math.IsNaN(x) != math.IsNaN(dst[i]) {
			t.Errorf("Tanh(%v) = %v", x, dst[i])
		}
	}
	if math.Float64bits(dst[1]) != 0x7ff8000000000123 {
		t.Errorf("Tanh(NaN payload) = %#x, want the input NaN", math.Float64bits(dst[1]))
	}
}

// TestTanhKernelMatchesScalar checks that the vector kernel and the scalar
// code give the same bits, for every length up to 11 and in place.
func TestTanhKernelMatchesScalar(t *testing.T) {
	xs := tanhGrid()
	for n := range 12 {
		src := xs[len(xs)/2-n : len(xs)/2]
		dst := make([]float64, n)
		Tanh(dst, src)
		inPlace := append([]float64(nil), src...)
		Tanh(inPlace, inPlace)
		for i, x := range src {
			if w := tanhScalar(x); math.Float64bits(dst[i]) != math.Float64bits(w) || math.Float64bits(inPlace[i]) != math.Float64bits(w) {
				t.Fatalf("n=%d: Tanh(%v) = %v (in place %v), scalar %v", n, x, dst[i], inPlace[i], w)
			}
		}
	}
	got := make([]float64, len(xs))
	Tanh(got, xs)
	for i, x := range xs {
		if w := tanhScalar(x); math.Float64bits(got[i]) != math.Float64bits(w) {
			t.Fatalf("Tanh(%v) = %v, scalar %v", x, got[i], w)
		}
	}
}

// TestTanhShortDst checks the panic on a short destination.
func TestTanhShortDst(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	Tanh(make([]float64, 3), make([]float64, 4))
}

// BenchmarkTanh compares Tanh with a loop over math.Tanh on the 256×64
// activations of an MLP layer, with inputs spread over [-3, 3].
func BenchmarkTanh(b *testing.B) {
	const n = 256 * 64
	rng := rand.New(rand.NewPCG(1, 1))
	src, dst := make([]float64, n), make([]float64, n)
	for i := range src {
		src[i] = 6*rng.Float64() - 3
	}
	for _, bc := range []struct {
		name string
		f    func()
	}{
		{"math.Tanh", func() {
			for i, x := range src {
				dst[i] = math.Tanh(x)
			}
		}},
		{"Tanh", func() { Tanh(dst, src) }},
		{"tanhScalar", func() {
			for i, x := range src {
				dst[i] = tanhScalar(x)
			}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cpu0 := cpuTime()
			for b.Loop() {
				bc.f()
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/n, "cpu-ns/elem")
		})
	}
}

func ExampleTanh() {
	x := []float64{-1, 0, 0.5, 30}
	Tanh(x, x)
	fmt.Printf("%.6f\n", x)
	// Output: [-0.761594 0.000000 0.462117 1.000000]
}
