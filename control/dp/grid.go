package dp

import "math"

// grid is the geometry of a 2-D regular grid over a Box. Tables are stored
// row-major with dimension 0 as rows, padded by one row (column) when
// dimension 0 (1) is periodic: the pad holds a copy of row (column) 0, so a
// bilinear cell never needs a wrapped index.
type grid struct {
	n        [2]int     // grid points per dimension
	low, h   [2]float64 // first point and spacing
	periodic [2]bool
	stride   int // padded row length
	size     int // padded table length
}

func newGrid(b Box, n [2]int) grid {
	g := grid{n: n, low: b.Low, periodic: b.Periodic}
	rows, cols := n[0], n[1]
	for d := range 2 {
		if b.Periodic[d] {
			g.h[d] = (b.High[d] - b.Low[d]) / float64(n[d])
		} else {
			g.h[d] = (b.High[d] - b.Low[d]) / float64(n[d]-1)
		}
	}
	if b.Periodic[0] {
		rows++
	}
	if b.Periodic[1] {
		cols++
	}
	g.stride, g.size = cols, rows*cols
	return g
}

// coord returns the coordinate of grid index i in dimension d.
func (g *grid) coord(d, i int) float64 { return g.low[d] + float64(i)*g.h[d] }

// cell returns the lower grid index i of the cell holding x in dimension d
// and the weight w in [0, 1] of index i+1. A periodic coordinate is wrapped
// into the period (i in [0, N), i+1 = N is the pad); a bounded one is
// clamped to the box (i in [0, N-2]). NaN maps to the first cell.
func (g *grid) cell(d int, x float64) (int, float64) {
	n := g.n[d]
	s := (x - g.low[d]) / g.h[d]
	if g.periodic[d] {
		s -= float64(n) * math.Floor(s/float64(n))
		if !(s >= 0) { // rounding below 0, or NaN
			return 0, 0
		}
		i := int(s)
		if i >= n { // s rounded up to exactly n: the point 0
			return 0, 0
		}
		return i, s - float64(i)
	}
	if !(s > 0) {
		return 0, 0
	}
	if s >= float64(n-1) {
		return n - 2, 1
	}
	i := int(s)
	return i, s - float64(i)
}

// locate returns the padded offset of the lower corner of the cell holding
// (x0, x1) and the weights of the upper row and column.
func (g *grid) locate(x0, x1 float64) (off int, w0, w1 float64) {
	i0, w0 := g.cell(0, x0)
	i1, w1 := g.cell(1, x1)
	return i0*g.stride + i1, w0, w1
}

// interp is the bilinear interpolation of the padded table v in the cell at
// off with weights w0 (next row) and w1 (next column), in the arithmetic of
// the solver's minQ.
func interp(v []float64, stride, off int, w0, w1 float64) float64 {
	lo, hi := v[off:off+2:off+2], v[off+stride:off+stride+2:off+stride+2]
	p := lo[0] + w1*(lo[1]-lo[0])
	q := hi[0] + w1*(hi[1]-hi[0])
	return p + w0*(q-p)
}

// pad copies row 0 into the pad row and column 0 into the pad column of the
// periodic dimensions of v.
func (g *grid) pad(v []float64) {
	if g.periodic[1] {
		for r := range g.n[0] {
			v[r*g.stride+g.n[1]] = v[r*g.stride]
		}
	}
	if g.periodic[0] {
		copy(v[g.n[0]*g.stride:(g.n[0]+1)*g.stride], v[:g.stride])
	}
}
