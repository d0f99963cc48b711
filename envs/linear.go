package envs

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
)

// LinearConfig defines a discrete-time linear system with quadratic cost:
// x' = A x + B u, c(x, u) = x'Qx + u'Ru. Matrices are given as rows.
type LinearConfig struct {
	A [][]float64 `json:"a" yaml:"a"` // [n][n] state transition
	B [][]float64 `json:"b" yaml:"b"` // [n][m] control input
	Q [][]float64 `json:"q" yaml:"q"` // [n][n] state cost
	R [][]float64 `json:"r" yaml:"r"` // [m][m] action cost
	// MaxSteps is the episode limit; 0 means no limit.
	MaxSteps int `json:"max_steps" yaml:"max_steps"`
	// Reset draws every state variable uniformly from [InitLow, InitHigh].
	InitLow  float64 `json:"init_low" yaml:"init_low"`
	InitHigh float64 `json:"init_high" yaml:"init_high"`
}

// DefaultLinearConfig returns the system of the "linear" environment:
//
//	A = [[1.1, 0.1], [0, 0.95]]   eigenvalues 1.1 and 0.95 (upper triangular):
//	                              spectral radius 1.1 > 1, open-loop unstable
//	B = [[0], [1]]                controllable: [B AB] = [[0, 0.1], [1, 0.95]], det -0.1
//	Q = I (2x2), R = 0.1 I (1x1), MaxSteps 100, reset uniform in [-1, 1]^2.
//
// With u = 0 the state grows as 1.1^t along the first eigenvector, so
// gradients through an unrolled horizon H grow like 1.1^H.
func DefaultLinearConfig() LinearConfig {
	return LinearConfig{
		A:        [][]float64{{1.1, 0.1}, {0, 0.95}},
		B:        [][]float64{{0}, {1}},
		Q:        [][]float64{{1, 0}, {0, 1}},
		R:        [][]float64{{0.1}},
		MaxSteps: 100,
		InitLow:  -1,
		InitHigh: 1,
	}
}

// Dims returns n (states) and m (actions) as given by A and B (without
// validating the configuration).
func (c LinearConfig) Dims() (n, m int) {
	n = len(c.A)
	if len(c.B) > 0 {
		m = len(c.B[0])
	}
	return n, m
}

// Validate checks shapes (A [n][n] with n >= 1, B [n][m] with m >= 1, Q
// [n][n], R [m][m]), that every entry is finite, MaxSteps >= 0, and finite
// InitLow <= InitHigh.
func (c LinearConfig) Validate() error {
	n, m := c.Dims()
	if n == 0 {
		return fmt.Errorf("envs: linear config: A is empty")
	}
	if m == 0 {
		return fmt.Errorf("envs: linear config: B must be [%d][m] with m >= 1", n)
	}
	for _, mt := range []struct {
		name       string
		v          [][]float64
		rows, cols int
	}{{"A", c.A, n, n}, {"B", c.B, n, m}, {"Q", c.Q, n, n}, {"R", c.R, m, m}} {
		if len(mt.v) != mt.rows {
			return fmt.Errorf("envs: linear config: %s has %d rows, want %d", mt.name, len(mt.v), mt.rows)
		}
		for i, row := range mt.v {
			if len(row) != mt.cols {
				return fmt.Errorf("envs: linear config: %s row %d has %d values, want %d", mt.name, i, len(row), mt.cols)
			}
			for j, v := range row {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("envs: linear config: %s[%d][%d] = %g is not finite", mt.name, i, j, v)
				}
			}
		}
	}
	if c.MaxSteps < 0 {
		return fmt.Errorf("envs: linear config: MaxSteps %d is negative", c.MaxSteps)
	}
	if math.IsNaN(c.InitLow) || math.IsInf(c.InitLow, 0) || math.IsNaN(c.InitHigh) || math.IsInf(c.InitHigh, 0) || c.InitLow > c.InitHigh {
		return fmt.Errorf("envs: linear config: reset range [%g, %g] is not a finite interval", c.InitLow, c.InitHigh)
	}
	return nil
}

func flatten(v [][]float64) []float64 {
	var out []float64
	for _, row := range v {
		out = append(out, row...)
	}
	return out
}

func unflatten(v []float64, rows, cols int) [][]float64 {
	out := make([][]float64, rows)
	for i := range out {
		out[i] = append([]float64(nil), v[i*cols:(i+1)*cols]...)
	}
	return out
}

// Linear is a linear system with quadratic cost; LQR is its optimal
// controller.
//
//	| item              | value                                                      |
//	|-------------------|------------------------------------------------------------|
//	| name              | "linear"                                                   |
//	| state             | x, len n; the observation is the state                     |
//	| observation space | box(n) (-Inf, +Inf)                                        |
//	| action space      | box(m) (-Inf, +Inf): u, not clipped                        |
//	| dynamics          | x' = A x + B u                                             |
//	| reward            | -(x'Qx + u'Ru), of the state before the step               |
//	| start             | every x_i ~ U[InitLow, InitHigh] (default [-1, 1])         |
//	| termination       | never                                                      |
//	| truncation        | after MaxSteps steps (default 100; 0 means never)          |
//
// See DefaultLinearConfig for the default system.
type Linear struct {
	dyn   *LinearDynamics
	cfg   LinearConfig
	x     []float64
	steps int
}

var (
	_ Env   = (*Linear)(nil)
	_ Known = (*Linear)(nil)
)

// NewLinearChecked returns the linear environment of cfg, or an error if cfg
// is invalid. Use it for configurations that come from users.
func NewLinearChecked(cfg LinearConfig) (*Linear, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n, m := cfg.Dims()
	d := &LinearDynamics{
		n: n, m: m,
		a: flatten(cfg.A), b: flatten(cfg.B), q: flatten(cfg.Q), r: flatten(cfg.R),
	}
	cp := LinearConfig{
		A: unflatten(d.a, n, n), B: unflatten(d.b, n, m), Q: unflatten(d.q, n, n), R: unflatten(d.r, m, m),
		MaxSteps: cfg.MaxSteps, InitLow: cfg.InitLow, InitHigh: cfg.InitHigh,
	}
	return &Linear{dyn: d, cfg: cp, x: make([]float64, n)}, nil
}

// NewLinear is NewLinearChecked for configurations written in the program
// (such as DefaultLinearConfig()); it panics if cfg is invalid.
func NewLinear(cfg LinearConfig) *Linear {
	l, err := NewLinearChecked(cfg)
	if err != nil {
		panic(err)
	}
	return l
}

// Config returns a copy of the configuration.
func (l *Linear) Config() LinearConfig {
	c := l.cfg
	n, m := l.dyn.n, l.dyn.m
	c.A, c.B = unflatten(l.dyn.a, n, n), unflatten(l.dyn.b, n, m)
	c.Q, c.R = unflatten(l.dyn.q, n, n), unflatten(l.dyn.r, m, m)
	return c
}

// Name returns "linear".
func (l *Linear) Name() string { return "linear" }

// ObservationSpace is box(n) (-Inf, +Inf).
func (l *Linear) ObservationSpace() Space { return unbounded(l.dyn.n) }

// ActionSpace is box(m) (-Inf, +Inf).
func (l *Linear) ActionSpace() Space { return unbounded(l.dyn.m) }

func unbounded(n int) Space {
	lo, hi := make([]float64, n), make([]float64, n)
	for i := range lo {
		lo[i], hi[i] = math.Inf(-1), math.Inf(1)
	}
	return Box(lo, hi)
}

// MaxSteps returns the configured episode limit.
func (l *Linear) MaxSteps() int { return l.cfg.MaxSteps }

// StateDim returns n.
func (l *Linear) StateDim() int { return l.dyn.n }

// Reset draws x_i ~ U[InitLow, InitHigh] for i = 0..n-1 in order.
func (l *Linear) Reset(rng *rand.Rand) []float64 {
	lo, hi := l.cfg.InitLow, l.cfg.InitHigh
	for i := range l.x {
		l.x[i] = lo + (hi-lo)*rng.Float64()
	}
	l.steps = 0
	return l.State()
}

// Step applies u = action (len m), returns x' = A x + B u and the reward
// -(x'Qx + u'Ru) of the state before the step.
func (l *Linear) Step(action []float64) (obs []float64, reward float64, terminated, truncated bool) {
	u := action[:l.dyn.m]
	reward = -l.dyn.Cost(l.x, u)
	next := make([]float64, l.dyn.n)
	l.dyn.Next(next, l.x, u)
	copy(l.x, next)
	l.steps++
	return next, reward, false, l.cfg.MaxSteps > 0 && l.steps >= l.cfg.MaxSteps
}

// State returns a copy of x.
func (l *Linear) State() []float64 { return append([]float64(nil), l.x...) }

// SetState starts an episode at x (len n, finite).
func (l *Linear) SetState(x []float64) ([]float64, error) {
	if err := checkState("linear", x, l.dyn.n); err != nil {
		return nil, err
	}
	copy(l.x, x)
	l.steps = 0
	return l.State(), nil
}

// Dynamics returns the system's LinearDynamics.
func (l *Linear) Dynamics() Dynamics { return l.dyn }

// RewardIsNegCost reports true: Step's reward is -Dynamics().Cost(x, u).
func (l *Linear) RewardIsNegCost() bool { return true }

// LinearDynamics is x' = A x + B u with cost x'Qx + u'Ru; the observation is
// the state and actions are unbounded. It is immutable.
type LinearDynamics struct {
	n, m       int
	a, b, q, r []float64 // row-major A [n,n], B [n,m], Q [n,n], R [m,m]
}

var _ Dynamics = (*LinearDynamics)(nil)

// StateDim returns n.
func (d *LinearDynamics) StateDim() int { return d.n }

// ActionDim returns m.
func (d *LinearDynamics) ActionDim() int { return d.m }

// ObsDim returns n.
func (d *LinearDynamics) ObsDim() int { return d.n }

// ActionBounds returns -Inf and +Inf for every action.
func (d *LinearDynamics) ActionBounds() (low, high []float64) {
	s := unbounded(d.m)
	return s.Low, s.High
}

// Next writes A x + B u into dst; dst may alias x.
func (d *LinearDynamics) Next(dst, x, u []float64) {
	n, m := d.n, d.m
	if n > 0 && &dst[0] == &x[0] {
		x = append([]float64(nil), x[:n]...)
	}
	for i := 0; i < n; i++ {
		s := 0.0
		for j := 0; j < n; j++ {
			s += d.a[i*n+j] * x[j]
		}
		for j := 0; j < m; j++ {
			s += d.b[i*m+j] * u[j]
		}
		dst[i] = s
	}
}

// Jacobians writes fx = A and fu = B.
func (d *LinearDynamics) Jacobians(fx, fu, x, u []float64) {
	copy(fx, d.a)
	copy(fu, d.b)
}

// Cost returns x'Qx + u'Ru.
func (d *LinearDynamics) Cost(x, u []float64) float64 {
	return quad(d.q, x) + quad(d.r, u)
}

// quad returns v' M v for a row-major square M.
func quad(mat, v []float64) float64 {
	n := len(v)
	s := 0.0
	for i := 0; i < n; i++ {
		r := 0.0
		for j := 0; j < n; j++ {
			r += mat[i*n+j] * v[j]
		}
		s += v[i] * r
	}
	return s
}

// CostDerivs fills d: Lx = (Q + Q')x, Lu = (R + R')u, Lxx = Q + Q',
// Luu = R + R', Lux = 0.
func (d *LinearDynamics) CostDerivs(cd *CostDerivs, x, u []float64) {
	cd.L = d.Cost(x, u)
	symDerivs(cd.Lx, cd.Lxx, d.q, x)
	symDerivs(cd.Lu, cd.Luu, d.r, u)
	clear(cd.Lux)
}

// symDerivs writes g = (M + M')v and h = M + M'.
func symDerivs(g, h, mat, v []float64) {
	n := len(v)
	for i := 0; i < n; i++ {
		s := 0.0
		for j := 0; j < n; j++ {
			h[i*n+j] = mat[i*n+j] + mat[j*n+i]
			s += h[i*n+j] * v[j]
		}
		g[i] = s
	}
}

// Obs copies x into dst.
func (d *LinearDynamics) Obs(dst, x []float64) { copy(dst, x[:d.n]) }

// StateFromObs copies obs into dst.
func (d *LinearDynamics) StateFromObs(dst, obs []float64) { copy(dst, obs[:d.n]) }

// GraphNext builds x A' + u B' for x [B, n], u [B, m] -> [B, n].
func (d *LinearDynamics) GraphNext(x, u *G.Node) (*G.Node, error) {
	if err := checkXU(x, u, d.n, d.m); err != nil {
		return nil, err
	}
	var b graphBuilder
	at := constMatrix("linear.At", d.n, d.n, transpose(d.a, d.n, d.n))
	bt := constMatrix("linear.Bt", d.m, d.n, transpose(d.b, d.n, d.m))
	out := b.add(b.do(G.Mul(x, at)), b.do(G.Mul(u, bt)))
	return out, b.err
}

// GraphCost builds the row sums of (x Q) .* x + (u R) .* u: [B].
func (d *LinearDynamics) GraphCost(x, u *G.Node) (*G.Node, error) {
	if err := checkXU(x, u, d.n, d.m); err != nil {
		return nil, err
	}
	var b graphBuilder
	q := constMatrix("linear.Q", d.n, d.n, d.q)
	r := constMatrix("linear.R", d.m, d.m, d.r)
	cx := b.mul(b.do(G.Mul(x, q)), x)
	cu := b.mul(b.do(G.Mul(u, r)), u)
	if b.err != nil {
		return nil, b.err
	}
	out := b.add(b.do(G.Sum(cx, 1)), b.do(G.Sum(cu, 1)))
	return out, b.err
}

// GraphObs returns x itself.
func (d *LinearDynamics) GraphObs(x *G.Node) (*G.Node, error) {
	if _, err := checkBatch("state", x, d.n); err != nil {
		return nil, err
	}
	return x, nil
}

// transpose returns the [cols, rows] transpose of a row-major [rows, cols].
func transpose(v []float64, rows, cols int) []float64 {
	t := make([]float64, len(v))
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			t[j*rows+i] = v[i*cols+j]
		}
	}
	return t
}
