package bptt

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/mbrl/mbrl/autodiff"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"gonum.org/v1/gonum/mat"
)

// StudyResult is the gradient-norm study of Study: how the gradient of the
// H-step cost with respect to the policy parameters grows with H, and the
// growth the closed-loop Jacobians predict. Per-start quantities are of
// one start's cost J_b = Σ_{t<H} c(x_t^b, u_t^b); statistics are over the
// starts.
type StudyResult struct {
	Horizons []int `json:"horizons"`
	// Cost is the mean over starts of J_b.
	Cost []float64 `json:"cost"`
	// GradNorm, P10, P90, Max summarise the per-start norms |dJ_b/dθ|:
	// mean, 10th and 90th percentile, maximum.
	GradNorm []float64 `json:"grad_norm"`
	P10      []float64 `json:"grad_norm_p10"`
	P90      []float64 `json:"grad_norm_p90"`
	Max      []float64 `json:"grad_norm_max"`
	// BatchNorm is |d(mean_b J_b)/dθ|, what a training iteration sees
	// before clipping.
	BatchNorm []float64 `json:"batch_grad_norm"`
	// Predicted is the mean over starts of the largest singular value of
	// the closed-loop state-transition product Φ(H, 0) = M_{H-1}···M_0,
	// M_t = f_x + f_u dπ/dx at (x_t, u_t): how much a perturbation of the
	// start state (and so of any early action) is amplified by time H.
	// PredictedLog10 is log10 of the same mean (finite where Predicted
	// overflows).
	Predicted      []float64 `json:"predicted_growth"`
	PredictedLog10 []float64 `json:"predicted_growth_log10"`
	// StateGradNorm[t] is the mean over starts of |dJ_b/dx_t| for the
	// longest horizon, t = 0..H-1; StatePredicted[t] the mean over starts
	// of σ_max(Φ(H, t)).
	StateGradNorm  []float64 `json:"state_grad_norm"`
	StatePredicted []float64 `json:"state_predicted_growth"`
	Starts         int       `json:"starts"`
	Params         int       `json:"params"`
}

// Study measures, for every horizon, the gradient of the H-step cost with
// respect to pol's parameters from the start states x0 [N*n] through sys,
// with one forward sweep of the longest horizon and one backward sweep per
// horizon over the batch of N starts (Engine). Per-start parameter
// gradients come from the per-layer activations and the backpropagated
// dJ/du_t of every row (reverse mode through the policy's dense layers by
// hand; their sum over the starts equals the step graph's parameter
// gradient). Beside the measured norms it reports the closed-loop
// Jacobians' growth σ_max(Π_t (f_x + f_u dπ/dx)) (gonum SVD, products kept
// normalised with a separate log scale so that H = 1000 does not
// overflow). pol must be a *nn.DeterministicPolicy or an MLPPolicy.
func Study(ctx context.Context, sys System, pol Policy, x0 []float64, horizons []int) (*StudyResult, error) {
	n := sys.StateDim()
	if n == 0 || len(x0) == 0 || len(x0)%n != 0 {
		return nil, fmt.Errorf("bptt: study: %d start values for %d-dim states", len(x0), n)
	}
	if len(horizons) == 0 {
		return nil, fmt.Errorf("bptt: study: no horizons")
	}
	hs := append([]int(nil), horizons...)
	sort.Ints(hs)
	for i, h := range hs {
		if h < 1 || (i > 0 && h == hs[i-1]) {
			return nil, fmt.Errorf("bptt: study: horizons must be distinct and >= 1, got %v", horizons)
		}
	}
	nb := len(x0) / n
	hmax := hs[len(hs)-1]
	rg, err := newRowGrad(pol)
	if err != nil {
		return nil, err
	}
	eng, err := NewEngine(sys, pol, nb)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	_, costs, err := eng.Forward(ctx, x0, hmax, make([]float64, 0, hmax))
	if err != nil {
		return nil, err
	}
	res := &StudyResult{Horizons: hs, Starts: nb}
	for _, p := range pol.Params() {
		res.Params += len(p.Data())
	}
	per := make([][][]float64, nb)
	for b := range per {
		per[b] = NewGrads(pol)
	}
	total := NewGrads(pol)
	in := make([]float64, sys.InputDim())
	m := sys.ActionDim()
	norms := make([]float64, nb)
	for _, h := range hs {
		eng.h = h
		for _, g := range per {
			for _, s := range g {
				clear(s)
			}
		}
		last := h == hmax
		if last {
			res.StateGradNorm = make([]float64, h)
		}
		err := eng.Backward(ctx, total, 0, func(t int, x, gx, gu []float64) {
			for b := range nb {
				sys.Input(in, x[b*n:(b+1)*n])
				rg.add(per[b], in, gu[b*m:(b+1)*m])
				if last {
					res.StateGradNorm[t] += autodiff.GlobalNorm([][]float64{gx[b*n : (b+1)*n]}) / float64(nb)
				}
			}
		})
		if err != nil {
			return nil, err
		}
		var j float64
		for _, c := range costs[:h] {
			j += c
		}
		for b, g := range per {
			norms[b] = autodiff.GlobalNorm(g)
		}
		s := append([]float64(nil), norms...)
		sort.Float64s(s)
		var mean float64
		for _, v := range s {
			mean += v / float64(nb)
		}
		res.Cost = append(res.Cost, j/float64(nb))
		res.GradNorm = append(res.GradNorm, mean)
		res.P10 = append(res.P10, quantile(s, 0.1))
		res.P90 = append(res.P90, quantile(s, 0.9))
		res.Max = append(res.Max, s[len(s)-1])
		res.BatchNorm = append(res.BatchNorm, autodiff.GlobalNorm(total)/float64(nb))
	}
	if err := predictGrowth(res, sys, pol, eng.States(), nb, hs); err != nil {
		return nil, err
	}
	return res, nil
}

// quantile returns the q-quantile of sorted s by linear interpolation.
func quantile(s []float64, q float64) float64 {
	if len(s) == 1 {
		return s[0]
	}
	p := q * float64(len(s)-1)
	i := int(p)
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	f := p - float64(i)
	return s[i]*(1-f) + s[i+1]*f
}

// ClosedLoopJacobian writes M = f_x + f_u (dπ/d in)(d in/dx) [n, n] at the
// state x: the Jacobian of one closed-loop step x -> f(x, π(input(x))).
// f_x, f_u are the analytic Jacobians of the true dynamics or of the
// learned model; dπ/d in is the policy's (reverse-mode) Jacobian; d in/dx
// is the identity for a model rollout and the observation map's Jacobian
// for a true-dynamics rollout (obsJacobian).
type closedLoop struct {
	sys             System
	pol             Policy
	n, m, k         int
	fx, fu, pj, inj []float64
	in, u           []float64
	mm              []float64
}

func newClosedLoop(sys System, pol Policy) (*closedLoop, error) {
	n, m, k := sys.StateDim(), sys.ActionDim(), sys.InputDim()
	switch sys.(type) {
	case TrueSystem, *ModelSystem:
	default:
		return nil, fmt.Errorf("bptt: closed-loop Jacobians of %T are not supported", sys)
	}
	switch pol.(type) {
	case *nn.DeterministicPolicy, MLPPolicy:
	default:
		return nil, fmt.Errorf("bptt: policy Jacobians of %T are not supported", pol)
	}
	return &closedLoop{
		sys: sys, pol: pol, n: n, m: m, k: k,
		fx: make([]float64, n*n), fu: make([]float64, n*m), pj: make([]float64, m*k), inj: make([]float64, k*n),
		in: make([]float64, k), u: make([]float64, m), mm: make([]float64, n*n),
	}, nil
}

// at returns M at x (a scratch slice, overwritten by the next call).
func (c *closedLoop) at(x []float64) []float64 {
	n, m, k := c.n, c.m, c.k
	c.sys.Input(c.in, x)
	c.pol.Act(c.u, c.in)
	switch s := c.sys.(type) {
	case TrueSystem:
		s.Dyn.Jacobians(c.fx, c.fu, x, c.u)
		obsJacobian(c.inj, s.Dyn, x)
	case *ModelSystem:
		s.Model.Jacobians(c.fx, c.fu, x, c.u)
		clear(c.inj)
		for i := range n {
			c.inj[i*n+i] = 1
		}
	}
	switch p := c.pol.(type) {
	case *nn.DeterministicPolicy:
		p.ActionJacobian(c.pj, c.in)
	case MLPPolicy:
		p.Jacobian(c.pj, c.in)
	}
	// M = fx + fu · pj · inj
	copy(c.mm, c.fx)
	for i := range n {
		for j := range n {
			var s float64
			for a := range m {
				var kj float64
				for q := range k {
					kj += c.pj[a*k+q] * c.inj[q*n+j]
				}
				s += c.fu[i*m+a] * kj
			}
			c.mm[i*n+j] += s
		}
	}
	return c.mm
}

// obsJacobian writes d obs/dx [k, n] of dyn at x: analytic for the
// pendulum ([cos th, sin th, thdot]) and the linear system (identity),
// central differences with a step relative to |x_j| otherwise.
func obsJacobian(dst []float64, dyn envs.Dynamics, x []float64) {
	switch dyn.(type) {
	case envs.PendulumDynamics, *envs.PendulumDynamics:
		clear(dst)
		dst[0], dst[2], dst[5] = -math.Sin(x[0]), math.Cos(x[0]), 1
		return
	case *envs.LinearDynamics:
		clear(dst)
		n := len(x)
		for i := range n {
			dst[i*n+i] = 1
		}
		return
	}
	n, k := len(x), dyn.ObsDim()
	xc := append([]float64(nil), x...)
	fp, fm := make([]float64, k), make([]float64, k)
	for j := range n {
		h := autodiff.DefaultEps * math.Max(1, math.Abs(x[j]))
		xc[j] = x[j] + h
		dyn.Obs(fp, xc)
		xc[j] = x[j] - h
		dyn.Obs(fm, xc)
		xc[j] = x[j]
		for o := range k {
			dst[o*n+j] = (fp[o] - fm[o]) / (2 * h)
		}
	}
}

// scaledProduct keeps a matrix product as P · exp(logScale) with P
// normalised to max-abs 1.
type scaledProduct struct {
	p        *mat.Dense
	logScale float64
	tmp      *mat.Dense
	svd      mat.SVD
}

func newScaledProduct(n int) *scaledProduct {
	p := mat.NewDense(n, n, nil)
	for i := range n {
		p.Set(i, i, 1)
	}
	return &scaledProduct{p: p, tmp: mat.NewDense(n, n, nil)}
}

// mul sets P = left·P (left true) or P·right.
func (s *scaledProduct) mul(m *mat.Dense, left bool) {
	if left {
		s.tmp.Mul(m, s.p)
	} else {
		s.tmp.Mul(s.p, m)
	}
	s.p, s.tmp = s.tmp, s.p
	var mx float64
	for _, v := range s.p.RawMatrix().Data {
		mx = math.Max(mx, math.Abs(v))
	}
	if mx > 0 && !math.IsInf(mx, 0) && !math.IsNaN(mx) {
		s.p.Scale(1/mx, s.p)
		s.logScale += math.Log(mx)
	}
}

// logSigmaMax returns log σ_max of the product (-Inf for a zero product).
func (s *scaledProduct) logSigmaMax() float64 {
	if !s.svd.Factorize(s.p, mat.SVDNone) {
		return math.NaN()
	}
	v := s.svd.Values(nil)
	if len(v) == 0 || v[0] == 0 {
		return math.Inf(-1)
	}
	return s.logScale + math.Log(v[0])
}

// logMeanExp returns log(mean(exp(v))) without overflow.
func logMeanExp(v []float64) float64 {
	mx := math.Inf(-1)
	for _, x := range v {
		mx = math.Max(mx, x)
	}
	if math.IsInf(mx, -1) || math.IsNaN(mx) {
		return mx
	}
	var s float64
	for _, x := range v {
		s += math.Exp(x - mx)
	}
	return mx + math.Log(s/float64(len(v)))
}

// predictGrowth fills the predicted growth of res from the stored states.
func predictGrowth(res *StudyResult, sys System, pol Policy, states [][]float64, nb int, hs []int) error {
	cl, err := newClosedLoop(sys, pol)
	if err != nil {
		return err
	}
	n := sys.StateDim()
	hmax := hs[len(hs)-1]
	// ms[t][b] = M_t for start b.
	ms := make([][]*mat.Dense, hmax)
	for t := range hmax {
		ms[t] = make([]*mat.Dense, nb)
		for b := range nb {
			ms[t][b] = mat.NewDense(n, n, append([]float64(nil), cl.at(states[t][b*n:(b+1)*n])...))
		}
	}
	logs := make([][]float64, len(hs)) // [horizon][start]
	for i := range logs {
		logs[i] = make([]float64, nb)
	}
	stepLogs := make([][]float64, hmax)
	for t := range stepLogs {
		stepLogs[t] = make([]float64, nb)
	}
	for b := range nb {
		fwd := newScaledProduct(n)
		hi := 0
		for t := range hmax {
			fwd.mul(ms[t][b], true)
			for hi < len(hs) && hs[hi] == t+1 {
				logs[hi][b] = fwd.logSigmaMax()
				hi++
			}
		}
		bwd := newScaledProduct(n)
		for t := hmax - 1; t >= 0; t-- {
			bwd.mul(ms[t][b], false)
			stepLogs[t][b] = bwd.logSigmaMax()
		}
	}
	for i := range hs {
		l := logMeanExp(logs[i])
		res.PredictedLog10 = append(res.PredictedLog10, l/math.Ln10)
		res.Predicted = append(res.Predicted, math.Exp(l))
	}
	for t := range hmax {
		res.StatePredicted = append(res.StatePredicted, math.Exp(logMeanExp(stepLogs[t])))
	}
	return nil
}

// DrawStarts draws n start states of sys from env's reset distribution
// with rng: row-major [n*StateDim] (env's internal states for a
// TrueSystem, its observations for a ModelSystem).
func DrawStarts(env envs.Env, sys System, n int, rng *rand.Rand) []float64 {
	d := sys.StateDim()
	x := make([]float64, n*d)
	for b := range n {
		obs := env.Reset(rng)
		sys.Start(x[b*d:(b+1)*d], env, obs)
	}
	return x
}
