// iLQR after
//
//	Y. Tassa, T. Erez, E. Todorov, "Synthesis and stabilization of complex
//	behaviors through online trajectory optimization", IROS 2012
//	(backward pass with the regularisation of Sec. II-F and its mu, delta
//	schedule, improved value update eq. 11, backtracking line search with
//	the expected reduction of eq. 12-13), and
//
//	Y. Tassa, N. Mansard, E. Todorov, "Control-limited differential dynamic
//	programming", ICRA 2014 (box-constrained QP on Q_uu for the feedforward
//	term by projected Newton, feedback gains zeroed on clamped dimensions).

package control

import (
	"errors"
	"fmt"
	"math"
	"reflect"

	"github.com/mbrl/mbrl/envs"
)

// Model is a deterministic discrete-time transition x' = f(x, u) with its
// Jacobians. envs.Dynamics satisfies it; so can a learned model.
type Model interface {
	StateDim() int
	ActionDim() int
	// Next writes f(x, u) into dst (len StateDim).
	Next(dst, x, u []float64)
	// Jacobians writes df/dx [n, n] into fx and df/du [n, m] into fu,
	// row-major.
	Jacobians(fx, fu, x, u []float64)
}

// Cost is a per-step cost c(x, u) with first and second derivatives.
// envs.Dynamics satisfies it.
type Cost interface {
	Cost(x, u []float64) float64
	// CostDerivs fills d with c and its derivatives at (x, u).
	CostDerivs(d *envs.CostDerivs, x, u []float64)
}

// Linearizer is implemented by dynamics that are also their own cost and
// evaluate the Jacobians and the cost derivatives at one point together,
// with the results of Jacobians and CostDerivs bit for bit
// (envs.PendulumDynamics shares sin, cos, the torque clip and the angle
// wrap). ILQR uses it when its model and cost are the same value.
type Linearizer interface {
	Linearize(fx, fu []float64, d *envs.CostDerivs, x, u []float64)
}

// CostStepper is implemented by dynamics that are also their own cost and
// evaluate c(x, u) and f(x, u) together (dst may alias x), with the results
// of Cost and Next bit for bit. ILQR uses it when its model and cost are
// the same value.
type CostStepper interface {
	CostNext(dst, x, u []float64) float64
}

// StepLinearizer is implemented by dynamics with two states and one
// control that are also their own cost and evaluate a rollout step together
// with the linearisation (envs.PendulumDynamics): StepLinearize returns
// c(x, u) and f(x, u) = [y0, y1] at x = [x0, x1], and writes into lin the
// Jacobians and cost derivatives at (x, ud) as fx [2, 2] row-major, fu
// [2], Lx [2], Lu, Lxx [2, 2], Luu, Lux [2], with the results of Cost,
// Next, Jacobians and CostDerivs bit for bit. ILQR uses it, when its model
// and cost are the same value and there is no extra cost, to linearise the
// trajectory during its rollouts (ud is u moved inside the bounds, see
// Interior).
type StepLinearizer interface {
	StepLinearize(lin *[16]float64, x0, x1, u, ud float64) (c, y0, y1 float64)
}

// sameValue reports whether a and b are the same comparable value (false
// for values whose type cannot be compared).
func sameValue(a, b any) bool {
	ta := reflect.TypeOf(a)
	return ta != nil && ta == reflect.TypeOf(b) && ta.Comparable() && a == b
}

// ExtraCost is a caller-supplied, time-indexed cost term added to the
// per-step cost of steps t = 0..H-1 (not to the terminal cost). Add adds its
// value into d.L and its derivatives into d.Lx, d.Lu, d.Lxx, d.Luu, d.Lux.
// Guided policy search adds lambda_t'(pi(x) - u) + rho_t |pi(x) - u|^2 this
// way, PLATO a KL pull towards a learner.
type ExtraCost interface {
	Add(t int, x, u []float64, d *envs.CostDerivs)
}

// ILQRSettings configures iLQR. The zero value of every field means its
// default (DefaultILQRSettings lists them); Validate rejects values out of
// range.
type ILQRSettings struct {
	// MaxIter bounds the iterations of Solve (default 100).
	MaxIter int
	// RelTol stops when an accepted step changes the cost by less than
	// RelTol times its magnitude (default 1e-7).
	RelTol float64
	// GradTol stops when the mean over t of max_i |k_t,i| / (|u_t,i| + 1)
	// falls below it while mu < 1e-5 (default 1e-4; Tassa et al. 2012).
	GradTol float64
	// Mu0 is the initial regularisation mu (default 0: none until needed).
	Mu0 float64
	// MuMin (default 1e-6) and MuMax (default 1e10) bound mu; Delta0
	// (default 2) is the factor of the mu schedule.
	MuMin, MuMax, Delta0 float64
	// Alphas are the line-search step sizes tried in order (default
	// 10^linspace(0, -3, 11)).
	Alphas []float64
	// Low and High bound the controls (len m); nil means unbounded. With
	// bounds the backward pass solves a box QP (Tassa et al. 2014).
	Low, High []float64
	// NoTerminalCost drops the terminal cost. By default the cost of a
	// trajectory is sum_{t<H} [c(x_t, u_t) + extra_t] + c(x_H, 0), i.e. the
	// per-step cost at the final state with zero action (its x-derivatives
	// only).
	NoTerminalCost bool
	// Extra is an optional extra time-indexed cost (nil for none).
	Extra ExtraCost
}

// IterStat records one iLQR iteration.
type IterStat struct {
	Iter     int     // 1-based iteration number
	Cost     float64 // cost of the trajectory after the iteration
	Mu       float64 // regularisation used by the backward pass
	Alpha    float64 // accepted step size (0 if the step was rejected)
	Expected float64 // expected reduction -dV(alpha) of the accepted step
	Accepted bool
}

// Solution is an iLQR result: the trajectory x_0..x_H ([H+1][n]) and
// u_0..u_{H-1} ([H][m]), the gains of the last backward pass (K[t] [m*n]
// row-major feedback and Kff[t] [m] feed-forward on deviations, Tassa's K
// and k), the trajectory cost and per-iteration statistics.
type Solution struct {
	X, U      [][]float64
	K, Kff    [][]float64
	Cost      float64
	Iters     []IterStat
	Converged bool // a stopping test was met (not just MaxIter)
}

// Controller returns the time-varying linear controller of the solution,
// u_t = U[t] + K[t] (x - X[t]), i.e. Offset[t] = U[t] - K[t] X[t], with zero
// covariance. It does not clip to control bounds (environments do).
func (s *Solution) Controller() *LinearGaussianController {
	H := len(s.U)
	m := len(s.U[0])
	n := len(s.X[0])
	c := NewLinearGaussianController(n, m, H)
	for t := range H {
		copy(c.K[t], s.K[t])
		for i := range m {
			v := s.U[t][i]
			for j := range n {
				v -= s.K[t][i*n+j] * s.X[t][j]
			}
			c.Offset[t][i] = v
		}
	}
	return c
}

// Clone returns a deep copy of s.
func (s *Solution) Clone() *Solution {
	cp := func(a [][]float64) [][]float64 {
		b := make([][]float64, len(a))
		for i := range a {
			b[i] = append([]float64(nil), a[i]...)
		}
		return b
	}
	return &Solution{
		X: cp(s.X), U: cp(s.U), K: cp(s.K), Kff: cp(s.Kff),
		Cost: s.Cost, Iters: append([]IterStat(nil), s.Iters...), Converged: s.Converged,
	}
}

// ErrNonFinite is returned (wrapped) when the cost of the initial
// trajectory is NaN or infinite.
var ErrNonFinite = errors.New("control: non-finite cost")

// ILQR is an iterative LQR solver over a fixed horizon with all work memory
// preallocated: after NewILQR, Solve and Iterate do not allocate (unless the
// Model, Cost or ExtraCost do). It is not safe for concurrent use; make one
// per goroutine. Two fast paths give the general code's results bit for
// bit (ilqr_fast.go): a backward pass in scalars for n = 2, m = 1, and,
// when the model and the cost are the same StepLinearizer (the pendulum)
// and there is no extra cost, rollouts that linearise the trajectory as
// they go.
type ILQR struct {
	model   Model
	cost    Cost
	lin     Linearizer  // model = cost linearised at once, or nil
	step    CostStepper // model = cost stepped at once, or nil
	s       ILQRSettings
	H, n, m int

	sol     Solution
	x0      []float64
	cur     *traj            // sol.X, sol.U and the linearisation about them
	cand    *traj            // candidate trajectory of the line search
	kb, kfb []float64        // backing arrays of sol.K [H][m*n] and sol.Kff [H][m]
	scratch *envs.CostDerivs // value of the extra cost in rollouts
	zeroU   []float64
	uEval   []float64 // controls at which derivatives are taken

	mu, delta   float64
	generalOnly bool           // tests: use the general backward pass for m = 1
	sl          StepLinearizer // model = cost with n = 2, m = 1 stepped and linearised at once, or nil
	slow        bool           // tests: none of the fast paths of ilqr_fast.go
	dV1, dV2    float64        // expected reduction terms of the last backward pass
	fresh       bool           // derivatives are valid for sol.X, sol.U
	done        bool

	// backward-pass work memory
	vx, vxn, vxx, vxxn    []float64
	qx, qu, qxx, quu, qux []float64
	quur, quxr, vfx, vfu  []float64
	tk                    []float64
	grad                  []float64 // [H] terms |k_t| / (|u_t| + 1) of the gradient test
	gradOK                bool      // grad is valid for the gains
	qp                    boxQP
	lower, upper, kfree   []float64
}

// NewILQR returns a solver for horizon H >= 1 with the given settings (nil
// for defaults).
func NewILQR(model Model, cost Cost, H int, settings *ILQRSettings) (*ILQR, error) {
	n, m := model.StateDim(), model.ActionDim()
	if H < 1 || n < 1 || m < 1 {
		return nil, fmt.Errorf("control: iLQR needs H, n, m >= 1, got %d, %d, %d", H, n, m)
	}
	var s ILQRSettings
	if settings != nil {
		s = *settings
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	s.fill()
	s.Alphas = append([]float64(nil), s.Alphas...)
	if (s.Low == nil) != (s.High == nil) {
		return nil, errors.New("control: iLQR needs both Low and High bounds or neither")
	}
	if s.Low != nil {
		if len(s.Low) != m || len(s.High) != m {
			return nil, fmt.Errorf("control: iLQR bounds have %d and %d values, want %d", len(s.Low), len(s.High), m)
		}
		for i := range m {
			if !(s.Low[i] <= s.High[i]) {
				return nil, fmt.Errorf("control: iLQR bound %d: low %g > high %g", i, s.Low[i], s.High[i])
			}
		}
		s.Low = append([]float64(nil), s.Low...)
		s.High = append([]float64(nil), s.High...)
	}
	p := &ILQR{model: model, cost: cost, s: s, H: H, n: n, m: m}
	if sameValue(model, cost) {
		p.lin, _ = model.(Linearizer)
		p.step, _ = model.(CostStepper)
		if n == 2 && m == 1 {
			p.sl, _ = model.(StepLinearizer)
		}
	}
	var K, Kff [][]float64
	p.kb, K = rows(H, m*n)
	p.kfb, Kff = rows(H, m)
	p.cur, p.cand = newTraj(H, n, m), newTraj(H, n, m)
	p.sol = Solution{
		X: p.cur.X, U: p.cur.U, K: K, Kff: Kff,
		Iters: make([]IterStat, 0, s.MaxIter+1),
	}
	p.x0 = make([]float64, n)
	p.scratch = newDerivs(n, m)
	p.zeroU = make([]float64, m)
	p.uEval = make([]float64, m)
	v := func(k int) []float64 { return make([]float64, k) }
	p.vx, p.vxn, p.vxx, p.vxxn = v(n), v(n), v(n*n), v(n*n)
	p.qx, p.qu, p.qxx, p.quu, p.qux = v(n), v(m), v(n*n), v(m*m), v(m*n)
	p.quur, p.quxr, p.vfx, p.vfu = v(m*m), v(m*n), v(n*n), v(n*m)
	p.tk = v(m)
	p.grad = v(H)
	p.lower, p.upper, p.kfree = v(m), v(m), v(m)
	p.qp = newBoxQP(m)
	return p, nil
}

// rows returns a zeroed [r][c] matrix as row views of one backing array,
// and that array.
func rows(r, c int) ([]float64, [][]float64) {
	back := make([]float64, r*c)
	a := make([][]float64, r)
	for i := range a {
		a[i] = back[i*c : (i+1)*c : (i+1)*c]
	}
	return back, a
}

// traj is a trajectory x_0..x_H, u_0..u_{H-1} and the linearisation about
// it: per step t <= H one record of linStride(n, m) values holding fx
// [n*n], fu [n*m], Lx [n], Lu [m], Lxx [n*n], Luu [m*m] and Lux [m*n] in
// that order, with fx[t], fu[t] and the slices of d[t] views of it (d[t].L
// is the only value outside). The fast paths of ilqr_fast.go read the
// backing arrays, the general code the views.
type traj struct {
	xb, ub, rec []float64
	X, U        [][]float64 // [H+1][n], [H][m]
	fx, fu      [][]float64 // [H][n*n], [H][n*m]
	d           []*envs.CostDerivs
}

// linStride is the length of one linearisation record of traj.
func linStride(n, m int) int { return 2*n*n + 2*n*m + n + m + m*m }

func newTraj(H, n, m int) *traj {
	tr := &traj{}
	tr.xb, tr.X = rows(H+1, n)
	tr.ub, tr.U = rows(H, m)
	st := linStride(n, m)
	tr.rec = make([]float64, (H+1)*st)
	tr.fx, tr.fu = make([][]float64, H), make([][]float64, H)
	tr.d = make([]*envs.CostDerivs, H+1)
	for t := range H + 1 {
		r := tr.rec[t*st : (t+1)*st : (t+1)*st]
		next := func(k int) []float64 {
			v := r[:k:k]
			r = r[k:]
			return v
		}
		fx, fu := next(n*n), next(n*m)
		if t < H {
			tr.fx[t], tr.fu[t] = fx, fu
		}
		tr.d[t] = &envs.CostDerivs{Lx: next(n), Lu: next(m), Lxx: next(n * n), Luu: next(m * m), Lux: next(m * n)}
	}
	return tr
}

// accept makes the candidate trajectory the solution's.
func (p *ILQR) accept() {
	p.cur, p.cand = p.cand, p.cur
	p.sol.X, p.sol.U = p.cur.X, p.cur.U
}

// newDerivs allocates cost-derivative buffers for n states and m actions.
func newDerivs(n, m int) *envs.CostDerivs { return envs.NewCostDerivs(n, m) }

// Horizon returns H.
func (p *ILQR) Horizon() int { return p.H }

// SetExtra replaces the extra cost term (nil for none). Call Init (or
// Solve) afterwards so that the trajectory cost includes it.
func (p *ILQR) SetExtra(e ExtraCost) {
	p.s.Extra = e
	p.fresh = false
}

// Settings returns the effective settings (defaults filled in).
func (p *ILQR) Settings() ILQRSettings { return p.s }

// Solution returns the current solution. It is the solver's own and is
// overwritten by the next Init, Iterate or Solve; Clone it to keep it.
func (p *ILQR) Solution() *Solution { return &p.sol }

// Solve runs iLQR from x0 [n] with initial controls u ([H][m], clipped to
// the bounds; nil means zeros) until convergence or MaxIter iterations, and
// returns the solver's solution (see Solution for its lifetime).
func (p *ILQR) Solve(x0 []float64, u [][]float64) (*Solution, error) {
	if err := p.Init(x0, u); err != nil {
		return nil, err
	}
	for range p.s.MaxIter {
		done, err := p.Iterate()
		if err != nil {
			return &p.sol, err
		}
		if done {
			break
		}
	}
	return &p.sol, nil
}

// Init sets the initial state and controls (as Solve) and rolls out the
// initial trajectory, resetting mu and the statistics.
func (p *ILQR) Init(x0 []float64, u [][]float64) error {
	if len(x0) != p.n {
		return fmt.Errorf("control: iLQR x0 has %d values, want %d", len(x0), p.n)
	}
	if u != nil && len(u) != p.H {
		return fmt.Errorf("control: iLQR initial controls have %d steps, want %d", len(u), p.H)
	}
	copy(p.x0, x0)
	switch {
	case u == nil:
		clear(p.cur.ub)
	case p.m == 1: // copy without a call per step
		ub := p.cur.ub[:len(u)]
		for t, ut := range u {
			if len(ut) > 0 {
				ub[t] = ut[0]
			}
		}
	default:
		for t, ut := range p.sol.U {
			copy(ut, u[t])
		}
	}
	if lo, hi := p.s.Low, p.s.High; lo != nil {
		ub := p.cur.ub
		for j := 0; j < len(ub); j += p.m {
			for i, v := range ub[j : j+p.m] {
				if l, h := lo[i], hi[i]; !(v > l && v < h) {
					ub[j+i] = clip1(v, l, h)
				}
			}
		}
	}
	clear(p.kb)
	clear(p.kfb)
	p.mu, p.delta = p.s.Mu0, 1
	p.sol.Iters = p.sol.Iters[:0]
	p.sol.Converged = false
	p.fresh, p.done = false, false
	if p.fastRollout() {
		p.sol.Cost = p.rolloutFused(p.cur, 0, true)
		p.fresh = true
	} else {
		p.sol.Cost = p.rollout(p.sol.X, p.sol.U, p.sol.U, 0, true)
	}
	if !isFinite(p.sol.Cost) {
		return fmt.Errorf("%w of the initial trajectory: %g", ErrNonFinite, p.sol.Cost)
	}
	return nil
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func (p *ILQR) clip(u []float64) {
	if p.s.Low == nil {
		return
	}
	for i, v := range u {
		u[i] = clip1(v, p.s.Low[i], p.s.High[i])
	}
}

// rollout simulates from x0. With open = true it applies the controls in
// uDst as they are (uRef is unused); otherwise it applies the
// line-search policy u = clip(uRef_t + alpha k_t + K_t (x - X_t)) about the
// current solution. It writes the states to xDst and returns the cost.
func (p *ILQR) rollout(xDst, uDst, uRef [][]float64, alpha float64, open bool) float64 {
	n, m := p.n, p.m
	copy(xDst[0], p.x0)
	var J float64
	for t := range p.H {
		x, u := xDst[t], uDst[t]
		if !open {
			K, k, xr := p.sol.K[t], p.sol.Kff[t], p.sol.X[t]
			for i := range m {
				v := uRef[t][i] + alpha*k[i]
				for j := range n {
					v += K[i*n+j] * (x[j] - xr[j])
				}
				u[i] = v
			}
			p.clip(u)
		}
		if p.step != nil {
			J += p.step.CostNext(xDst[t+1], x, u)
		} else {
			J += p.cost.Cost(x, u)
			p.model.Next(xDst[t+1], x, u)
		}
		if p.s.Extra != nil {
			p.scratch.Zero()
			p.s.Extra.Add(t, x, u, p.scratch)
			J += p.scratch.L
		}
	}
	if !p.s.NoTerminalCost {
		J += p.cost.Cost(xDst[p.H], p.zeroU)
	}
	return J
}

// interior returns u, or with bounds u moved inside the box (Interior) in
// p's scratch.
func (p *ILQR) interior(u []float64) []float64 { return Interior(p.uEval, u, p.s.Low, p.s.High) }

// derivatives evaluates the Jacobians and cost derivatives along the
// current trajectory.
func (p *ILQR) derivatives() {
	for t := range p.H {
		x, u := p.sol.X[t], p.interior(p.sol.U[t])
		d := p.cur.d[t]
		d.Zero()
		if p.lin != nil {
			p.lin.Linearize(p.cur.fx[t], p.cur.fu[t], d, x, u)
		} else {
			p.model.Jacobians(p.cur.fx[t], p.cur.fu[t], x, u)
			p.cost.CostDerivs(d, x, u)
		}
		if p.s.Extra != nil {
			p.s.Extra.Add(t, x, u, d)
		}
	}
	d := p.cur.d[p.H]
	d.Zero()
	if !p.s.NoTerminalCost {
		p.cost.CostDerivs(d, p.sol.X[p.H], p.zeroU)
		clear(d.Lu)
		clear(d.Luu)
		clear(d.Lux)
	}
	p.fresh = true
}

// backward runs the regularised backward pass at the current mu and
// reports false if some Q_uu (regularised) is not positive definite.
func (p *ILQR) backward() bool {
	dT := p.cur.d[p.H]
	copy(p.vx, dT.Lx)
	copy(p.vxx, dT.Lxx)
	p.dV1, p.dV2 = 0, 0
	p.gradOK = false
	if p.m == 1 && !p.generalOnly {
		if p.n == 2 && !p.slow {
			return p.backward21()
		}
		return p.backward1()
	}
	n, m, mu := p.n, p.m, p.mu
	bounded := p.s.Low != nil
	for t := p.H - 1; t >= 0; t-- {
		fx, fu, d := p.cur.fx[t], p.cur.fu[t], p.cur.d[t]
		vx, vxx := p.vx, p.vxx
		// vfx = Vxx fx [n, n], vfu = Vxx fu [n, m].
		for i := range n {
			for j := range n {
				var s float64
				for k := range n {
					s += vxx[i*n+k] * fx[k*n+j]
				}
				p.vfx[i*n+j] = s
			}
			for j := range m {
				var s float64
				for k := range n {
					s += vxx[i*n+k] * fu[k*m+j]
				}
				p.vfu[i*m+j] = s
			}
		}
		// Qx = lx + fx'Vx, Qu = lu + fu'Vx.
		for j := range n {
			s := d.Lx[j]
			for k := range n {
				s += fx[k*n+j] * vx[k]
			}
			p.qx[j] = s
		}
		for j := range m {
			s := d.Lu[j]
			for k := range n {
				s += fu[k*m+j] * vx[k]
			}
			p.qu[j] = s
		}
		// Qxx = lxx + fx' Vxx fx.
		for i := range n {
			for j := range n {
				s := d.Lxx[i*n+j]
				for k := range n {
					s += fx[k*n+i] * p.vfx[k*n+j]
				}
				p.qxx[i*n+j] = s
			}
		}
		// Quu = luu + fu' Vxx fu, Qux = lux + fu' Vxx fx, and their
		// regularised versions with Vxx + mu I (Tassa et al. 2012 eq. 10).
		for i := range m {
			for j := range m {
				s := d.Luu[i*m+j]
				var r float64
				for k := range n {
					s += fu[k*m+i] * p.vfu[k*m+j]
					r += fu[k*m+i] * fu[k*m+j]
				}
				p.quu[i*m+j] = s
				p.quur[i*m+j] = s + mu*r
			}
			for j := range n {
				s := d.Lux[i*n+j]
				var r float64
				for k := range n {
					s += fu[k*m+i] * p.vfx[k*n+j]
					r += fu[k*m+i] * fx[k*n+j]
				}
				p.qux[i*n+j] = s
				p.quxr[i*n+j] = s + mu*r
			}
		}
		K, k := p.sol.K[t], p.sol.Kff[t]
		if bounded {
			for i := range m {
				p.lower[i] = p.s.Low[i] - p.sol.U[t][i]
				p.upper[i] = p.s.High[i] - p.sol.U[t][i]
			}
			// Warm start from the previous k_t (Tassa et al. 2014).
			if !p.qp.solve(p.quur, p.qu, p.lower, p.upper, k) {
				return false
			}
			clear(K)
			// K on the free dimensions: -H_ff^{-1} Qux_f; zero elsewhere.
			nf := p.qp.nfree
			if nf > 0 {
				for j := range n {
					for a := range nf {
						p.kfree[a] = p.quxr[p.qp.freeIdx[a]*n+j]
					}
					CholSolve(p.qp.lf, nf, p.kfree[:nf])
					for a := range nf {
						K[p.qp.freeIdx[a]*n+j] = -p.kfree[a]
					}
				}
			}
		} else {
			L := p.qp.l
			copy(L, p.quur)
			if !Cholesky(L, m) {
				return false
			}
			copy(k, p.qu)
			CholSolve(L, m, k)
			for i := range m {
				k[i] = -k[i]
			}
			for j := range n {
				for i := range m {
					p.tk[i] = p.quxr[i*n+j]
				}
				CholSolve(L, m, p.tk)
				for i := range m {
					K[i*n+j] = -p.tk[i]
				}
			}
		}
		// Expected reduction: dV = alpha k'Qu + alpha^2/2 k'Quu k.
		for i := range m {
			p.dV1 += k[i] * p.qu[i]
			var s float64
			for j := range m {
				s += p.quu[i*m+j] * k[j]
			}
			p.tk[i] = s // Quu k
			p.dV2 += 0.5 * k[i] * s
		}
		// Improved value update (eq. 11) with the unregularised Q terms:
		// Vx = Qx + K'Quu k + K'Qu + Qux'k,
		// Vxx = Qxx + K'Quu K + K'Qux + Qux'K.
		for j := range n {
			s := p.qx[j]
			for i := range m {
				s += K[i*n+j]*(p.tk[i]+p.qu[i]) + p.qux[i*n+j]*k[i]
			}
			p.vxn[j] = s
		}
		for a := range n {
			for b := a; b < n; b++ {
				s := p.qxx[a*n+b]
				for i := range m {
					var kq float64 // (Quu K)_{i,b}
					for j := range m {
						kq += p.quu[i*m+j] * K[j*n+b]
					}
					s += K[i*n+a]*kq + K[i*n+a]*p.qux[i*n+b] + p.qux[i*n+a]*K[i*n+b]
				}
				p.vxxn[a*n+b] = s
				p.vxxn[b*n+a] = s
			}
		}
		p.vx, p.vxn = p.vxn, p.vx
		p.vxx, p.vxxn = p.vxxn, p.vxx
		if !isFinite(p.dV1) || !isFinite(p.dV2) {
			return false
		}
	}
	return true
}

// backward1 is the backward pass for a single control (m = 1), the same
// algebra as the general pass with scalars for Q_uu, Q_u and rows for Q_ux
// and K; for the box QP it is the clamped Newton step.
func (p *ILQR) backward1() bool {
	n, mu := p.n, p.mu
	bounded := p.s.Low != nil
	var lo, hi float64
	if bounded {
		lo, hi = p.s.Low[0], p.s.High[0]
	}
	for t := p.H - 1; t >= 0; t-- {
		fx, fu, d := p.cur.fx[t][:n*n], p.cur.fu[t][:n], p.cur.d[t]
		vx, vxx := p.vx[:n], p.vxx[:n*n]
		vfx, vfu := p.vfx[:n*n], p.vfu[:n]
		qx, qux, quxr, qxx := p.qx[:n], p.qux[:n], p.quxr[:n], p.qxx[:n*n]
		lx, lxx, lux := d.Lx[:n], d.Lxx[:n*n], d.Lux[:n]
		// vfx = Vxx fx, vfu = Vxx fu.
		for i := range n {
			row := vxx[i*n : i*n+n]
			out := vfx[i*n : i*n+n]
			var su float64
			for j := range out {
				out[j] = 0
			}
			for k, v := range row {
				frow := fx[k*n : k*n+n]
				for j, f := range frow {
					out[j] += v * f
				}
				su += v * fu[k]
			}
			vfu[i] = su
		}
		quu, qu, r := d.Luu[0], d.Lu[0], 0.0
		for k, f := range fu {
			quu += f * vfu[k]
			qu += f * vx[k]
			r += f * f
		}
		for j := range n {
			qx[j], qux[j], quxr[j] = lx[j], lux[j], 0
		}
		for k := range n {
			frow := fx[k*n : k*n+n]
			vk, fk, wk := vx[k], fu[k], vfu[k]
			for j, f := range frow {
				qx[j] += f * vk
				qux[j] += wk * f // (fu' Vxx fx)_j with Vxx symmetric
				quxr[j] += fk * f
			}
		}
		for j := range n {
			quxr[j] = qux[j] + mu*quxr[j]
		}
		// Qxx = lxx + fx' vfx (symmetric: upper triangle, mirrored).
		for i := range n {
			for j := i; j < n; j++ {
				s := lxx[i*n+j]
				for k := range n {
					s += fx[k*n+i] * vfx[k*n+j]
				}
				qxx[i*n+j] = s
				qxx[j*n+i] = s
			}
		}
		quur := quu + mu*r
		if !(quur > 0) || math.IsInf(quur, 0) {
			return false
		}
		K, kp := p.sol.K[t][:n], p.sol.Kff[t]
		k, free := step1(qu, quur, p.sol.U[t][0], lo, hi, bounded)
		kp[0] = k
		for j := range n {
			if free {
				K[j] = -quxr[j] / quur
			} else {
				K[j] = 0
			}
		}
		quuk := quu * k
		p.dV1 += k * qu
		p.dV2 += 0.5 * k * quuk
		vxn, vxxn := p.vxn[:n], p.vxxn[:n*n]
		for j := range n {
			vxn[j] = qx[j] + K[j]*(quuk+qu) + qux[j]*k
		}
		for a := range n {
			ka, qa := K[a], qux[a]
			for b := a; b < n; b++ {
				s := qxx[a*n+b] + quu*ka*K[b] + ka*qux[b] + qa*K[b]
				vxxn[a*n+b] = s
				vxxn[b*n+a] = s
			}
		}
		p.vx, p.vxn = p.vxn, p.vx
		p.vxx, p.vxxn = p.vxxn, p.vxx
	}
	return isFinite(p.dV1) && isFinite(p.dV2)
}

func (p *ILQR) increaseMu() {
	p.delta = math.Max(p.s.Delta0, p.delta*p.s.Delta0)
	p.mu = math.Max(p.s.MuMin, p.mu*p.delta)
}

func (p *ILQR) decreaseMu() {
	p.delta = math.Min(1/p.s.Delta0, p.delta/p.s.Delta0)
	if p.mu*p.delta > p.s.MuMin {
		p.mu *= p.delta
	} else {
		p.mu = 0
	}
}

// Iterate performs one iLQR iteration on the current solution: derivatives,
// a backward pass (raising mu until Q_uu is positive definite) and a
// line-search forward pass; it reports whether a stopping test is met. An
// error (wrapping ErrNotPositiveDefinite) is returned if Q_uu stays
// indefinite up to MuMax.
func (p *ILQR) Iterate() (done bool, err error) {
	if p.done {
		return true, nil
	}
	if !p.fresh {
		p.derivatives()
	}
	for !p.backward() {
		p.increaseMu()
		if p.mu > p.s.MuMax {
			p.done = true
			return true, fmt.Errorf("%w: Q_uu at mu = %g > MuMax", ErrNotPositiveDefinite, p.mu)
		}
	}
	stat := IterStat{Iter: len(p.sol.Iters) + 1, Mu: p.mu, Cost: p.sol.Cost}
	// Gradient test (Tassa's code): small feed-forward relative to u.
	var g float64
	if p.gradOK { // backward21 computed the terms
		for _, v := range p.grad {
			var mx float64
			if v > mx || v != v {
				mx = v
			}
			g += mx
		}
	} else {
		m, kff, ub := p.m, p.kfb, p.cur.ub[:len(p.kfb)]
		for t := range p.H {
			var mx float64
			for i := range m {
				// mx = math.Max(mx, v) for mx and v each +0, positive or NaN.
				if v := math.Abs(kff[t*m+i]) / (math.Abs(ub[t*m+i]) + 1); v > mx || v != v {
					mx = v
				}
			}
			g += mx
		}
	}
	g /= float64(p.H)
	if g < p.s.GradTol && p.mu < 1e-5 {
		p.decreaseMu()
		p.sol.Converged, p.done = true, true
		p.sol.Iters = append(p.sol.Iters, stat)
		return true, nil
	}
	// Backtracking line search: accept the first alpha that reduces the
	// cost (z > 0 in Tassa et al. 2012).
	fast := p.fastRollout()
	for _, a := range p.s.Alphas {
		var J float64
		if fast {
			J = p.rolloutFused(p.cand, a, false)
		} else {
			J = p.rollout(p.cand.X, p.cand.U, p.sol.U, a, false)
		}
		if isFinite(J) && J < p.sol.Cost {
			stat.Alpha, stat.Accepted = a, true
			stat.Expected = -(a*p.dV1 + a*a*p.dV2)
			rel := (p.sol.Cost - J) / math.Max(math.Abs(J), 1e-300)
			p.accept()
			p.sol.Cost, stat.Cost = J, J
			p.fresh = fast // the fast rollout linearised as it went
			p.decreaseMu()
			if rel < p.s.RelTol {
				p.sol.Converged, p.done = true, true
			}
			break
		}
	}
	if !stat.Accepted {
		p.increaseMu()
		if p.mu > p.s.MuMax {
			// No improvement even at maximal regularisation: a (local)
			// optimum to the precision the line search can see.
			p.sol.Converged, p.done = true, true
		}
	}
	p.sol.Iters = append(p.sol.Iters, stat)
	return p.done, nil
}

// step1 is the feed-forward step k = -Q_u/Q_uu of a single control u,
// clamped to keep u + k in [lo, hi] when bounded; free reports that the
// bound does not hold k: clamped only if the gradient pushes outwards
// (Tassa et al. 2014), so at the unconstrained minimum on the bound it
// stays free.
func step1(qu, quur, u, lo, hi float64, bounded bool) (k float64, free bool) {
	k, free = -qu/quur, true
	if bounded {
		if k <= lo-u {
			k, free = lo-u, false
		} else if k >= hi-u {
			k, free = hi-u, false
		}
		if !free && (qu+quur*k == 0) {
			free = true
		}
	}
	return k, free
}
