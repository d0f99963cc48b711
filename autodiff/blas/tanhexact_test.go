package blas

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"
)

// tanhExactInputs returns n inputs spread over every branch of math.tanh
// and math.archExp, cycling through: log-uniform magnitudes in
// [1e-300, 1e3] with either sign; the branch points 0.625 and 0.5·MAXLOG
// and the points where Exp's n = round(2|x|·log2 e) changes (2|x|·log2 e =
// k + 1/2, k = 2..127), each ± up to 64 ulp; uniform values in
// [-44.1, 44.1]; subnormals; and arbitrary bit patterns (any float64,
// NaNs and infinities included).
func tanhExactInputs(rng *rand.Rand, n int) []float64 {
	const maxlog = 8.8029691931113054295988e+01
	edges := []float64{0.625, 0.5 * maxlog}
	for k := 2; k <= 127; k++ {
		edges = append(edges, (float64(k)+0.5)/math.Log2E/2)
	}
	walk := func(x float64) float64 { // x moved by up to ±64 ulp
		d := rng.IntN(129) - 64
		for ; d > 0; d-- {
			x = math.Nextafter(x, math.Inf(1))
		}
		for ; d < 0; d++ {
			x = math.Nextafter(x, math.Inf(-1))
		}
		return x
	}
	sign := func(x float64) float64 {
		if rng.IntN(2) == 0 {
			return -x
		}
		return x
	}
	xs := make([]float64, n)
	for i := range xs {
		switch i % 6 {
		case 0, 1:
			xs[i] = sign(math.Pow(10, -300+303*rng.Float64()))
		case 2:
			xs[i] = sign(walk(edges[rng.IntN(len(edges))]))
		case 3:
			xs[i] = 88.2*rng.Float64() - 44.1
		case 4:
			xs[i] = sign(math.Float64frombits(rng.Uint64() & (1<<52 - 1)))
		default:
			xs[i] = math.Float64frombits(rng.Uint64())
		}
	}
	return xs
}

// tanhExactSpecials are inputs with their own cases in math.Tanh and
// math.Exp.
var tanhExactSpecials = []float64{
	0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(),
	-math.NaN(), math.Float64frombits(0x7ff0000000000001), // signalling NaN
	math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64,
	math.Float64frombits(1<<52 - 1), -math.Float64frombits(1<<52 - 1),
	0x1p-1022, -0x1p-1022, math.MaxFloat64, -math.MaxFloat64,
	1e-8, -1e-8, 0.5, -0.5, 0.625, -0.625, math.Nextafter(0.625, 0),
	-math.Nextafter(0.625, 0), 1, -1, 20, -20, 44.014845965556525,
	-44.014845965556525, math.Nextafter(44.014845965556525, 100),
	-math.Nextafter(44.014845965556525, 100), 354.5, 709.8, -709.8, 1e300,
	// math.Tanh gives 0x3fdea026fba9d748 here with GOAMD64=v1 and v2 and
	// ...747 with v3, where the compiler fuses s+tanhQ[0] with s = x·x.
	0.5210693520771718,
}

// tanhExactMismatches returns how many got[i] differ from math.Tanh(xs[i])
// in any bit (NaN matches any NaN) and an error naming the first.
func tanhExactMismatches(got, xs []float64) (int, error) {
	bad := 0
	var first error
	for i, x := range xs {
		want := math.Tanh(x)
		if math.Float64bits(got[i]) == math.Float64bits(want) ||
			math.IsNaN(got[i]) && math.IsNaN(want) {
			continue
		}
		if bad == 0 {
			first = fmt.Errorf("tanh(%v [%#016x]) = %v [%#016x], math.Tanh %v [%#016x]",
				x, math.Float64bits(x), got[i], math.Float64bits(got[i]),
				want, math.Float64bits(want))
		}
		bad++
	}
	return bad, first
}

// TestTanhExactBits compares TanhExact with math.Tanh bit for bit on 2^22
// inputs over all branches and on the special values. Run with
// GODEBUG=cpu.fma=off (TestTanhExactNoFMA does) it checks the unfused path.
func TestTanhExactBits(t *testing.T) {
	if want := os.Getenv("MBRL_TANHEXACT_FMA"); want != "" {
		if got := fmt.Sprint(tanhExactFMA); got != want {
			t.Fatalf("tanhExactFMA = %s under GODEBUG=%q, want %s", got, os.Getenv("GODEBUG"), want)
		}
	}
	rng := rand.New(rand.NewPCG(17, 1))
	n := 1 << 22
	if testing.Short() {
		n = 1 << 18
	}
	for _, tc := range []struct {
		name string
		xs   []float64
	}{
		{"random", tanhExactInputs(rng, n)},
		{"specials", tanhExactSpecials},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := make([]float64, len(tc.xs))
			TanhExact(got, tc.xs)
			if bad, err := tanhExactMismatches(got, tc.xs); bad > 0 {
				t.Errorf("%d of %d differ (fma %v, kernel %v); first: %v",
					bad, len(tc.xs), tanhExactFMA, haveTanhExact, err)
			}
		})
	}
	t.Logf("kernel %v, fma path %v", haveTanhExact, tanhExactFMA)
}

// TestTanhExactNoFMA runs TestTanhExactBits in a child process with
// GODEBUG=cpu.fma=off, under which math.Exp and TanhExact both take the
// unfused path, and checks the path actually differs from the fused one:
// forced onto the path math.Exp does not take, the kernel must mismatch
// math.Tanh somewhere (so the comparison sees single bits).
func TestTanhExactNoFMA(t *testing.T) {
	if !haveTanhExact || !tanhExactFMA {
		t.Skip("no AVX2 kernel with an FMA path on this machine")
	}
	xs := tanhExactInputs(rand.New(rand.NewPCG(17, 2)), 1<<18)
	got := make([]float64, len(xs))
	tanhExactAVX2(got, xs, false)
	if bad, _ := tanhExactMismatches(got, xs); bad == 0 {
		t.Errorf("the unfused path matches math.Tanh's fused one on all %d inputs", len(xs))
	} else {
		t.Logf("unfused path against fused math.Tanh: %d of %d differ", bad, len(xs))
	}

	if os.Getenv("MBRL_TANHEXACT_FMA") != "" {
		return // already the child
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-test.run=^TestTanhExactBits$", "-test.v"}
	if testing.Short() {
		args = append(args, "-test.short")
	}
	cmd := exec.Command(exe, args...)
	godebug := "cpu.fma=off"
	if g := os.Getenv("GODEBUG"); g != "" {
		godebug = g + "," + godebug
	}
	cmd.Env = append(os.Environ(), "GODEBUG="+godebug, "MBRL_TANHEXACT_FMA=false")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("GODEBUG=%s: %v\n%s", godebug, err, out)
	}
	if !bytes.Contains(out, []byte("--- PASS: TestTanhExactBits/random")) {
		t.Fatalf("GODEBUG=%s: the child did not run TestTanhExactBits:\n%s", godebug, out)
	}
	t.Logf("GODEBUG=%s: child passed", godebug)
}

// TestTanhExactLengths covers every length 0..17 (tails of 0..3 after the
// blocks of four), dst == src, and dst longer than src (left alone beyond
// len(src)).
func TestTanhExactLengths(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 3))
	for n := range 18 {
		src := make([]float64, n)
		for i := range src {
			src[i] = []float64{0.3, -2, 50, math.NaN(), math.Copysign(0, -1)}[rng.IntN(5)] * (0.5 + rng.Float64())
		}
		for _, inPlace := range []bool{false, true} {
			t.Run(fmt.Sprintf("n=%d/inPlace=%v", n, inPlace), func(t *testing.T) {
				var got []float64
				if inPlace {
					got = append([]float64(nil), src...)
					TanhExact(got, got)
				} else {
					got = make([]float64, n+3)
					for i := range got {
						got[i] = 7
					}
					TanhExact(got, src)
					for i, v := range got[n:] {
						if v != 7 {
							t.Errorf("dst[%d] = %v beyond len(src) = %d, want 7 untouched", n+i, v, n)
						}
					}
				}
				if bad, err := tanhExactMismatches(got[:n], src); bad > 0 {
					t.Errorf("%d of %d differ; first: %v", bad, n, err)
				}
			})
		}
	}
}

func TestTanhExactShortDst(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("TanhExact with len(dst) < len(src) did not panic")
		}
	}()
	TanhExact(make([]float64, 3), make([]float64, 4))
}

// BenchmarkTanhExact compares TanhExact with a loop over math.Tanh on the
// 256×64 activations of an MLP layer, with inputs N(0, 1) (most blocks of
// four mix the polynomial and exp branches) and uniform on [-3, 3].
func BenchmarkTanhExact(b *testing.B) {
	const n = 256 * 64
	for _, dist := range []struct {
		name string
		f    func(*rand.Rand) float64
	}{
		{"normal", func(r *rand.Rand) float64 { return r.NormFloat64() }},
		{"uniform3", func(r *rand.Rand) float64 { return 6*r.Float64() - 3 }},
	} {
		rng := rand.New(rand.NewPCG(1, 1))
		src, dst := make([]float64, n), make([]float64, n)
		for i := range src {
			src[i] = dist.f(rng)
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
			{"TanhExact", func() { TanhExact(dst, src) }},
		} {
			b.Run(dist.name+"/"+bc.name, func(b *testing.B) {
				cpu0 := cpuTime()
				for b.Loop() {
					bc.f()
				}
				b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/n, "cpu-ns/elem")
			})
		}
	}
}

func ExampleTanhExact() {
	x := []float64{-1, 0, 0.5, 30, 0.001}
	y := make([]float64, len(x))
	TanhExact(y, x)
	fmt.Println(y[0] == math.Tanh(-1), y[3] == math.Tanh(30))
	fmt.Printf("%.6f\n", y)
	// Output:
	// true true
	// [-0.761594 0.000000 0.462117 1.000000 0.001000]
}
