package dp

import "math"

// weight is the stored type of the interpolation weights of the transition
// table. float32 misplaces f(x, u) by at most 3e-8 of a cell, negligible
// beside the interpolation error of the grid itself, and with it an entry
// takes 20 bytes instead of 32 (215 MB instead of 344 MB for the default
// grid and 41 actions).
type weight = float32

// entryBytes is the size of one (grid point, action) entry of transitions.
const entryBytes = 4 + 2*4 + 8

// transitions holds, for every grid point i (row-major, unpadded) and
// action a at index e = i*A + a, the padded offset of the cell of f(x_i, u_a),
// its two interpolation weights and the cost c(x_i, u_a). The dynamics are
// time-invariant, so this is computed once and used by every backward step.
type transitions struct {
	g     *grid
	nA    int
	cells []cell
	cost  []float64
}

// cell locates f(x, u) in a padded table: the offset of the lower corner of
// its grid cell and the weights of the next row and the next column.
type cell struct {
	off    int32
	w0, w1 weight
}

// transitions evaluates f and c at every (grid point, action), in parallel
// over grid rows.
func (s *Solution) transitions(workers int) *transitions {
	g := &s.g
	nA := len(s.actions)
	n := g.n[0] * g.n[1] * nA
	tr := &transitions{g: g, nA: nA, cells: make([]cell, n), cost: make([]float64, n)}
	parallelRows(g.n[0], workers, func(r0, r1 int) {
		x, next, u := make([]float64, 2), make([]float64, 2), make([]float64, 1)
		for r := r0; r < r1; r++ {
			x[0] = g.coord(0, r)
			for c := range g.n[1] {
				x[1] = g.coord(1, c)
				e := (r*g.n[1] + c) * nA
				for a, ua := range s.actions {
					u[0] = ua
					s.dyn.Next(next, x, u)
					off, w0, w1 := g.locate(next[0], next[1])
					tr.cells[e+a] = cell{off: int32(off), w0: weight(w0), w1: weight(w1)}
					tr.cost[e+a] = s.dyn.Cost(x, u)
				}
			}
		}
	})
	return tr
}

// backup computes one Bellman backup, cur(x_i) = min_a c(x_i, u_a) +
// V_next(f(x_i, u_a)), for the grid rows [r0, r1). A minimum is exact and
// does not depend on the order of its terms, so the result is the same
// whatever the split of rows between goroutines.
func (tr *transitions) backup(cur, next []float64, r0, r1 int) {
	nA, n1, stride := tr.nA, tr.g.n[1], tr.g.stride
	cells, costs := tr.cells, tr.cost
	for r := r0; r < r1; r++ {
		row := cur[r*stride : r*stride+n1]
		for c := range row {
			e := (r*n1 + c) * nA
			row[c] = minQ(cells[e:e+nA], costs[e:e+nA], next, stride)
		}
	}
}

// minQ returns min_a cost[a] + V(cells[a]) over the actions of one grid
// point, with V the bilinear interpolation of the padded table v. This is
// the hot loop of Solve (about 2.5 ns per action on the 2-core machine);
// the interpolation is written out because the compiler does not inline a
// call, and the builtin min compiles without a branch.
func minQ(cells []cell, cost []float64, v []float64, stride int) float64 {
	cost = cost[:len(cells)]
	best := math.Inf(1)
	for a, cl := range cells {
		o := int(cl.off)
		lo, hi := v[o:o+2:o+2], v[o+stride:o+stride+2:o+stride+2]
		x, y := float64(cl.w0), float64(cl.w1)
		p := lo[0] + y*(lo[1]-lo[0])
		q := hi[0] + y*(hi[1]-hi[0])
		best = min(best, cost[a]+(p+x*(q-p)))
	}
	return best
}
