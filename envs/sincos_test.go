package envs

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSincosBitIdentical compares sincos with math.Sincos (and its sine
// with math.Sin) bit for bit: special values, the ends of every octant
// sincos handles and their neighbours, and random arguments near the
// pendulum's angles, far out and over all float64 bit patterns.
func TestSincosBitIdentical(t *testing.T) {
	same := func(a, b float64) bool {
		return math.Float64bits(a) == math.Float64bits(b) || math.IsNaN(a) && math.IsNaN(b)
	}
	check := func(x float64) {
		t.Helper()
		s0, c0 := math.Sincos(x)
		s, c := sincos(x)
		if !same(s, s0) || !same(c, c0) || !same(s, math.Sin(x)) {
			t.Fatalf("sincos(%v) = %v, %v; math.Sincos gives %v, %v", x, s, c, s0, c0)
		}
	}
	for _, x := range []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(),
		5e-324, -5e-324, 1e-300, math.Pi, -math.Pi, 2 * math.Pi, 1 << 29, 1e300} {
		check(x)
	}
	for k := -12; k <= 12; k++ { // octant ends k pi/4 and the values around them
		x := float64(k) * (math.Pi / 4)
		for _, dir := range []float64{math.Inf(1), math.Inf(-1)} {
			v := x
			for range 8 {
				check(v)
				v = math.Nextafter(v, dir)
			}
		}
	}
	r := rand.New(rand.NewPCG(7, 11))
	for i := range 3_000_000 {
		var x float64
		switch i % 4 {
		case 0:
			x = (2*r.Float64() - 1) * 8 // a swinging pendulum
		case 1:
			x = (2*r.Float64() - 1) * 1e4 // a spinning one
		case 2:
			x = math.Ldexp(2*r.Float64()-1, -r.IntN(60))
		default:
			x = math.Float64frombits(r.Uint64())
		}
		check(x)
	}
}

// BenchmarkSincosChain50 and BenchmarkMathSincosChain50 time 50 calls each
// waiting on the last (x <- x + 0.05 sin(x) + 0.01): the latency a
// pendulum rollout pays per step.
func BenchmarkSincosChain50(b *testing.B)     { benchSincosChain(b, sincos) }
func BenchmarkMathSincosChain50(b *testing.B) { benchSincosChain(b, math.Sincos) }

func benchSincosChain(b *testing.B, f func(float64) (float64, float64)) {
	var sum float64
	for b.Loop() {
		x := 2.5
		for range 50 {
			s, c := f(x)
			x += 0.05*s + 0.01
			sum += c
		}
		sum += x
	}
	if math.IsNaN(sum) {
		b.Fatal("NaN")
	}
}
