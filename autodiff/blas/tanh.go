package blas

import "math"

// Constants of tanhScalar (and of the assembly in tanh_amd64.s, which
// repeats them).
const (
	tanhMax2x = 40.0               // tanh(x) rounds to ±1 for |x| >= 20
	tanhLog2e = 1.4426950408889634 // 1/ln 2
	tanhMagic = 0x1.8p52           // adding it rounds to an integer
	// ln 2 = tanhLn2Hi + tanhLn2Lo, tanhLn2Hi with 32 trailing zero bits
	// (Cody & Waite; the split of fdlibm's e_exp.c).
	tanhLn2Hi = 6.93147180369123816490e-01
	tanhLn2Lo = 1.90821492927058770002e-10
)

// tanhCoef holds 1/n! for n = 13 down to 2: the Taylor polynomial of
// expm1 on |r| <= ln2/2, whose truncation error r^14/14! is below 0.1 ulp
// of expm1(r) there.
var tanhCoef = [12]float64{
	1.0 / 6227020800, 1.0 / 479001600, 1.0 / 39916800, 1.0 / 3628800,
	1.0 / 362880, 1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24,
	1.0 / 6, 1.0 / 2,
}

// Tanh sets dst[i] = tanh(src[i]) for every i < len(src), four elements at
// a time with AVX2 and FMA where the CPU has them. dst and src may be the
// same slice. It panics if dst is shorter than src.
//
// The result is within 2 ulp of the exact tanh (at most 1.99 ulp over the
// test grid against a 128-bit reference; math.Tanh: 1.1 ulp),
// exactly ±1 for |x| >= 20, and keeps math.Tanh's special cases: ±0 and
// subnormals unchanged, ±Inf gives ±1, NaN gives NaN. It computes
// tanh|x| = expm1(2|x|) / (expm1(2|x|) + 2), which has no cancellation for
// small |x|, with expm1 by reduction to r = 2|x| - k·ln2 (|r| <= ln2/2) and
// its Taylor polynomial: expm1(2|x|) = 2^k·expm1(r) + (2^k - 1).
func Tanh(dst, src []float64) {
	if len(dst) < len(src) {
		panic("blas: Tanh: dst shorter than src")
	}
	n := 0
	if haveKernel {
		n = len(src) &^ 3
		tanhAVX2(dst[:n], src[:n])
	}
	for i := n; i < len(src); i++ {
		dst[i] = tanhScalar(src[i])
	}
}

// tanhScalar is Tanh for one element, with the assembly's operations in the
// same order, so both give the same bits.
func tanhScalar(x float64) float64 {
	if x != x {
		return x
	}
	t := min(2*math.Abs(x), tanhMax2x)
	z := math.FMA(t, tanhLog2e, tanhMagic)
	kf := z - tanhMagic
	r := math.FMA(-kf, tanhLn2Hi, t)
	r = math.FMA(-kf, tanhLn2Lo, r)
	q := tanhCoef[0]
	for _, c := range tanhCoef[1:] {
		q = math.FMA(q, r, c)
	}
	p := math.FMA(r*r, q, r)
	s := math.Float64frombits((math.Float64bits(z) + 1023) << 52)
	em := math.FMA(s, p, s-1)
	y := em / (em + 2)
	return math.Copysign(y, x)
}
