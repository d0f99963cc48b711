package envs

import "math"

// This file holds sincos, math.Sincos's results bit for bit with a shorter
// chain of dependent operations. A pendulum rollout is a chain of such
// calls (the next angle needs the sine of this one), so the latency of one
// call, not its throughput, sets the speed of iLQR's rollouts.
//
// math.Sincos reduces |x| by the multiple y of pi/4 nearest below x*4/pi
// rounded up to even. It finds y by a float-to-integer-to-float round trip
// on the way from x to the reduced argument, and takes |x| through the
// integer registers. Here, for |x| < 9 pi/4 (every angle a swinging
// pendulum takes between wraps), compares on x*4/pi pick y in {0, 2, 4, 6,
// 8} instead: branches the processor predicts, so y*PI4A, y*PI4B and
// y*PI4C are ready before x is and the reduction starts at once (and is
// skipped in the first octant, where y = 0 leaves |x| as it is). From |x|
// on, every expression is math.Sincos's, so the results are its bits
// (TestSincosBitIdentical), also where the compiler fuses multiply-adds
// (arm64), as it then fuses the same expressions; larger arguments, zero,
// infinities and NaN go to math.Sincos itself.

// sinPoly and cosPoly are math's coefficients of the sine and cosine
// polynomials on [-pi/4, pi/4] (Cephes sin.c).
var sinPoly = [6]float64{
	1.58962301576546568060e-10,
	-2.50507477628578072866e-8,
	2.75573136213857245213e-6,
	-1.98412698295895385996e-4,
	8.33333333332211858878e-3,
	-1.66666666666666307295e-1,
}

var cosPoly = [6]float64{
	-1.13585365213876817300e-11,
	2.08757008419747316778e-9,
	-2.75573141792967388112e-7,
	2.48015872888517045348e-5,
	-1.38888888888730564116e-3,
	4.16666666666665929218e-2,
}

// sincos returns math.Sincos(x), bit for bit.
func sincos(x float64) (sin, cos float64) {
	ax := x
	if x < 0 {
		ax = -x // a sign flip in the vector registers, not math.Abs's round trip through the integer ones
	}
	const ( // pi/4 in three parts, as math's
		PI4A = 7.85398125648498535156e-1  // 0x3fe921fb40000000
		PI4B = 3.77489470793079817668e-8  // 0x3e64442d00000000
		PI4C = 2.69515142907905952645e-15 // 0x3ce8469898cc5170
	)
	var i int     // y/2: the octant j = 2i mod 8
	var y float64 // both set from constants, so y is known before x is
	switch v := ax * (4 / math.Pi); {
	case v < 1:
		if x == 0 {
			return x, 1
		}
	case v < 3:
		i, y = 1, 2
	case v < 5:
		i, y = 2, 4
	case v < 7:
		i, y = 3, 6
	case v < 9:
		i, y = 4, 8
	default: // large, infinite or NaN
		return math.Sincos(x)
	}
	z := ax // ((ax - 0) - 0) - 0 in the first octant, with the same bits
	if i > 0 {
		z = ((ax - y*PI4A) - y*PI4B) - y*PI4C
	}
	zz := z * z
	c := 1.0 - 0.5*zz + zz*zz*((((((cosPoly[0]*zz)+cosPoly[1])*zz+cosPoly[2])*zz+cosPoly[3])*zz+cosPoly[4])*zz+cosPoly[5])
	s := z + z*zz*((((((sinPoly[0]*zz)+sinPoly[1])*zz+sinPoly[2])*zz+sinPoly[3])*zz+sinPoly[4])*zz+sinPoly[5])
	switch i & 3 { // the octant's swap and signs
	case 0:
		sin, cos = s, c
	case 1:
		sin, cos = c, -s
	case 2:
		sin, cos = -s, -c
	default:
		sin, cos = -c, s
	}
	if x < 0 {
		sin = -sin
	}
	return sin, cos
}
