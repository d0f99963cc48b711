package lggps

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/control/learned"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/gps"
)

// Random streams of rand.NewPCG(Seed, stream).
const (
	ConditionStream = 21      // the initial conditions
	MinibatchStream = 22      // the policy regression's shuffling
	GMMStream       = 1 << 30 // + iter: the mixture's initial assignment
	SampleStream    = 1 << 40 // + iter<<20 + k: condition k's samples in iteration iter
)

// Trainer is guided policy search with local linear-Gaussian models (see
// the package doc). It implements common.Trainer; each Iterate reports
//
//	traj_cost      mean over conditions of the samples' mean sum_t c(x_t, u_t)
//	sample_return  mean return (env reward) of the samples
//	policy_cost    mean over conditions of the policy's mean action run alone
//	violation      mean over conditions, steps and samples of |pi(o) - (K x + k)|
//	               after the policy step, against the new controllers
//	violation_rms  the root mean square of the same
//	kl_step        mean over conditions of KL(p_new || p_old) / T
//	epsilon        mean over conditions of the KL bound per step
//	eta            geometric mean of the conditions' KL duals
//	rho, lambda_rms, policy_loss, policy_std
//	env_steps      real env steps taken by the samples so far (the policy
//	               rollouts of policy_cost are diagnostics and not counted)
//	lqg_kept       conditions whose LQG found no step within the bound
//	               (their controller is kept)
type Trainer struct {
	cfg     Config
	cost    CostFunc
	pol     gps.Policy
	reg     *nn.Regressor
	pcg     *rand.PCG
	rng     *rand.Rand
	workers []*worker
	gmm     *GMM

	K, N, T, n, m, p int
	low, high        []float64 // action bounds, nil if unbounded

	x0     [][]float64
	ctrl   []*control.LinearGaussianController
	dyn    []*LinearDynamics
	lambda [][][]float64 // [K][T][m]
	rho    [][]float64   // [K][T]
	eta    []float64
	mult   []float64 // epsilon multipliers
	// Step-size rule: the task cost's expected value for the previous and
	// the new controller under the previous iteration's models.
	prevObj, predObj []float64
	prevMC           []float64 // the samples' mean task cost of the previous iteration
	hasPred          []bool
	prevViol         []float64
	polVar           []float64 // [m] the Gaussian policy's variances
	envSteps         int

	// Samples of the current iteration: [K][N][...] flattened per sample.
	X, U, UI, O [][][]float64 // states [T+1][n], applied and intended actions [T][m], observations [T][p]
	costs       [][]float64   // [K][N] sum_t c
	returns     [][]float64   // [K][N] env returns
	stats       []condStat

	fit *gps.Regression // the policy step's rows and minibatches
	lr  float64

	needInit  bool      // Config.ModelInit is still to run (first Iterate)
	initLoss  float64   // its model's training loss
	initSteps int       // its env steps
	initCost  []float64 // [K] its rollouts' cost on the env
}

type condStat struct {
	trajCost, ret, policyCost float64
	violSum, violSq           float64
	kl, eps                   float64
	dynOK, kept               bool
}

var _ common.Trainer = (*Trainer)(nil)

// worker is one goroutine's env, policy copy and solvers.
type worker struct {
	env    envs.Env
	pol    gps.Policy
	lqg    *LQG
	fit    *dynFitter
	exp    *expander
	qc, qs *Quadratic // task cost and surrogate
	next   *control.LinearGaussianController
	pts    [][]float64
	xbar   []float64
	jo, ox []float64 // d pi/d obs [m, p], d obs/dx [p, n]
	jp, ap []float64 // policy linearisation J [m, n], pi(obs) [m]
	xp     []float64
	op, om []float64
	z      []float64
	a, u   []float64
	mean   []float64      // the dual step's mean violation at a step [m]
	model  *learned.Model // the global model of Config.ModelInit, during the initialisation only
}

// New returns a Trainer of the Gaussian policy whose mean is pol, on the
// envs makeEnv returns (one per worker; only Reset, SetState, State and
// Step are used) with the task cost c. The initial conditions are drawn
// from the env's reset distribution. The policy's regression graph is
// built here, once.
func New(cfg Config, makeEnv func() (envs.Env, error), cost CostFunc, pol gps.Policy) (*Trainer, error) {
	if makeEnv == nil || cost == nil || pol == nil {
		return nil, errors.New("lggps: New needs an env constructor, a cost and a policy")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	env, err := makeEnv()
	if err != nil {
		return nil, fmt.Errorf("lggps: %w", err)
	}
	as := env.ActionSpace()
	if as.Discrete {
		return nil, fmt.Errorf("lggps: env %q has discrete actions; GPS needs continuous ones", env.Name())
	}
	if cfg.Horizon == 0 {
		cfg.Horizon = env.MaxSteps()
		if cfg.Horizon <= 0 {
			cfg.Horizon = 100
		}
	}
	if cfg.Workers == 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	n, m, p := env.StateDim(), as.Dim(), env.ObservationSpace().Dim()
	if pol.ObsDim() != p || pol.ActDim() != m {
		return nil, fmt.Errorf("lggps: the policy maps %d -> %d values, env %q needs %d -> %d", pol.ObsDim(), pol.ActDim(), env.Name(), p, m)
	}
	if _, err := gps.ClonePolicy(pol); err != nil {
		return nil, fmt.Errorf("lggps: %w", err)
	}
	reg, err := nn.NewRegressor(pol, p, m, nn.RegressorConfig{Batch: cfg.Batch, Adam: cfg.Adam, Weighted: true})
	if err != nil {
		return nil, fmt.Errorf("lggps: policy regression: %w", err)
	}
	K, N, T := cfg.Conditions, cfg.Samples, cfg.Horizon
	rows := K * N * T
	pcg := rand.NewPCG(cfg.Seed, MinibatchStream)
	t := &Trainer{
		cfg: cfg, cost: cost, pol: pol, reg: reg, pcg: pcg, rng: rand.New(pcg),
		K: K, N: N, T: T, n: n, m: m, p: p,
		x0: mat2(K, n), ctrl: make([]*control.LinearGaussianController, K), dyn: make([]*LinearDynamics, K),
		lambda: make([][][]float64, K), rho: mat2(K, T), eta: make([]float64, K), mult: make([]float64, K),
		prevObj: make([]float64, K), predObj: make([]float64, K), prevMC: make([]float64, K), hasPred: make([]bool, K),
		prevViol: make([]float64, K), polVar: make([]float64, m),
		X: make([][][]float64, K), U: make([][][]float64, K), UI: make([][][]float64, K), O: make([][][]float64, K),
		costs: mat2(K, N), returns: mat2(K, N), stats: make([]condStat, K),
		fit: gps.NewRegression(rows, p, m, cfg.Batch), lr: reg.Optimizer().LR,
	}
	bounded := true
	for i := range as.Low {
		if math.IsInf(as.Low[i], 0) || math.IsInf(as.High[i], 0) {
			bounded = false
		}
	}
	if bounded {
		t.low, t.high = as.Low, as.High
	}
	cov := make([]float64, m*m)
	for i := range m {
		s := cfg.InitStd
		if bounded {
			s *= (as.High[i] - as.Low[i]) / 2
		}
		cov[i*m+i] = s * s
		t.polVar[i] = s * s
	}
	crng := rand.New(rand.NewPCG(cfg.Seed, ConditionStream))
	for k := range K {
		env.Reset(crng)
		copy(t.x0[k], env.State())
		t.ctrl[k] = control.NewLinearGaussianController(n, m, T)
		for s := range T {
			if err := t.ctrl[k].SetCov(s, cov); err != nil {
				return nil, fmt.Errorf("lggps: initial controller: %w", err)
			}
			t.rho[k][s] = cfg.Rho
		}
		t.dyn[k] = NewLinearDynamics(n, m, T)
		t.lambda[k] = mat2(T, m)
		t.eta[k], t.mult[k] = 1, 1
		t.prevViol[k] = math.NaN()
		t.X[k], t.U[k], t.UI[k], t.O[k] = mat2(N, (T+1)*n), mat2(N, T*m), mat2(N, T*m), mat2(N, T*p)
	}
	if cfg.Init != nil {
		if err := t.initControllers(env); err != nil {
			return nil, err
		}
	}
	t.needInit, t.initCost = cfg.ModelInit.Episodes > 0, make([]float64, K)
	for i := range min(cfg.Workers, K) {
		e := env
		if i > 0 {
			if e, err = makeEnv(); err != nil {
				return nil, fmt.Errorf("lggps: %w", err)
			}
		}
		w, err := t.newWorker(e)
		if err != nil {
			return nil, err
		}
		t.workers = append(t.workers, w)
	}
	return t, nil
}

// initControllers sets every controller's mean to the linearisation of
// Config.Init along its rollout from the condition.
func (t *Trainer) initControllers(env envs.Env) error {
	n, m := t.n, t.m
	u, up, um, xp := make([]float64, m), make([]float64, m), make([]float64, m), make([]float64, n)
	for k := range t.K {
		if _, err := env.SetState(t.x0[k]); err != nil {
			return fmt.Errorf("lggps: condition %d: %w", k, err)
		}
		c := t.ctrl[k]
		for s := range t.T {
			x := env.State()
			t.cfg.Init(u, x)
			copy(xp, x)
			for j := range n {
				h := t.cfg.FDStep * math.Max(1, math.Abs(x[j]))
				xp[j] = x[j] + h
				t.cfg.Init(up, xp)
				xp[j] = x[j] - h
				t.cfg.Init(um, xp)
				xp[j] = x[j]
				for a := range m {
					c.K[s][a*n+j] = (up[a] - um[a]) / (2 * h)
				}
			}
			for a := range m {
				v := u[a]
				for j := range n {
					v -= c.K[s][a*n+j] * x[j]
				}
				c.Offset[s][a] = v
			}
			env.Step(u)
		}
		t.envSteps += t.T
	}
	return nil
}

func (t *Trainer) newWorker(env envs.Env) (*worker, error) {
	pol, err := gps.ClonePolicy(t.pol)
	if err != nil {
		return nil, fmt.Errorf("lggps: %w", err)
	}
	n, m, p, N, T := t.n, t.m, t.p, t.N, t.T
	d := n + m
	lqg := NewLQG(n, m, T)
	lqg.Omega = t.cfg.MaxEnt
	return &worker{
		env: env, pol: pol, lqg: lqg,
		fit: newDynFitter(n, m, t.cfg.PriorStrength, t.cfg.DynReg, t.cfg.Clusters),
		exp: newExpander(t.cost, n, m, t.cfg.FDStep, t.low, t.high, t.cfg.BoundPenalty),
		qc:  newQuadratic(T, d), qs: newQuadratic(T, d), next: control.NewLinearGaussianController(n, m, T),
		pts: mat2(N, 2*n+m), xbar: make([]float64, n), jo: make([]float64, m*p), ox: make([]float64, p*n),
		jp: make([]float64, m*n), ap: make([]float64, m), xp: make([]float64, n), op: make([]float64, p), om: make([]float64, p),
		z: make([]float64, d), a: make([]float64, m), u: make([]float64, m), mean: make([]float64, m),
	}, nil
}

// Close releases the regression graph's machines.
func (t *Trainer) Close() { t.reg.Close() }

// Horizon returns the trajectory length T.
func (t *Trainer) Horizon() int { return t.T }

// Policy returns the policy's mean.
func (t *Trainer) Policy() gps.Policy { return t.pol }

// PolicyVariance returns the Gaussian policy's variances Sigma_pi [m]
// (diagonal): the inverse of the controllers' mean precision (Levine et al.
// 2016, Sec. 4.2, the covariance that minimises the summed KL to them).
func (t *Trainer) PolicyVariance() []float64 { return append([]float64(nil), t.polVar...) }

// Models returns the policy's mean.
func (t *Trainer) Models() []nn.Model { return []nn.Model{t.pol} }

// EnvSteps returns the real env steps the samples have taken so far.
func (t *Trainer) EnvSteps() int { return t.envSteps }

// Iterate runs one iteration: (1) samples of every controller on the env,
// (2) local dynamics with the mixture prior, (3) the KL-bounded LQG step
// on the augmented Lagrangian, (4) the policy step, (5) the dual step.
func (t *Trainer) Iterate(ctx context.Context, iter int) ([]common.Metric, error) {
	if err := t.refreshWorkers(); err != nil { // the weights may have been loaded since
		return nil, err
	}
	if t.needInit {
		before := t.envSteps
		loss, err := t.initFromModel(ctx)
		if err != nil {
			return nil, err
		}
		t.needInit, t.initLoss, t.initSteps = false, loss, t.envSteps-before
	}
	if err := t.parallel(ctx, func(w *worker, k int) error { return t.sample(w, k, iter) }); err != nil {
		return nil, err
	}
	t.envSteps += t.K * t.N * t.T
	t.fitPrior(iter)
	if err := t.parallel(ctx, t.trajectoryStep); err != nil {
		return nil, err
	}
	loss, err := t.policyStep(ctx, iter)
	if err != nil {
		return nil, err
	}
	if err := t.refreshWorkers(); err != nil {
		return nil, err
	}
	if err := t.parallel(ctx, t.dualStep); err != nil {
		return nil, err
	}
	return t.metrics(loss), nil
}

// refreshWorkers gives every worker a copy of the current policy.
func (t *Trainer) refreshWorkers() error {
	for _, w := range t.workers {
		pol, err := gps.ClonePolicy(t.pol)
		if err != nil {
			return fmt.Errorf("lggps: %w", err)
		}
		w.pol = pol
	}
	return nil
}

// (1) N trajectories of condition k's controller from x0_k on the env, with
// the noise stream (Seed, SampleStream + iter<<20 + k). The env clips the
// action; U keeps the applied action (the cost sees it), UI the intended
// one (the dynamics fit and the bound penalty see it).
func (t *Trainer) sample(w *worker, k, iter int) error {
	rng := rand.New(rand.NewPCG(t.cfg.Seed, SampleStream+uint64(iter)<<20+uint64(k)))
	n, m, p := t.n, t.m, t.p
	for i := range t.N {
		obs, err := w.env.SetState(t.x0[k])
		if err != nil {
			return fmt.Errorf("lggps: condition %d: %w", k, err)
		}
		X, U, UI, O := t.X[k][i], t.U[k][i], t.UI[k][i], t.O[k][i]
		copy(X[:n], w.env.State())
		var c, ret float64
		for s := range t.T {
			copy(O[s*p:(s+1)*p], obs)
			x, ui, u := X[s*n:(s+1)*n], UI[s*m:(s+1)*m], U[s*m:(s+1)*m]
			t.ctrl[k].Sample(ui, s, x, rng)
			t.clip(u, ui)
			c += t.cost.Cost(x, u)
			var r float64
			obs, r, _, _ = w.env.Step(u)
			ret += r
			copy(X[(s+1)*n:(s+2)*n], w.env.State())
		}
		t.costs[k][i], t.returns[k][i] = c, ret
	}
	return nil
}

func (t *Trainer) clip(dst, u []float64) {
	copy(dst, u)
	if t.low != nil {
		for i, v := range dst {
			dst[i] = math.Min(math.Max(v, t.low[i]), t.high[i])
		}
	}
}

// (2a) The Gaussian mixture over every condition's transitions
// [x_t; u_t; x_{t+1}] of this iteration (none when PriorStrength is 0).
func (t *Trainer) fitPrior(iter int) {
	if t.cfg.PriorStrength == 0 {
		t.gmm = nil
		return
	}
	n, m := t.n, t.m
	data := make([][]float64, 0, t.K*t.N*t.T)
	back := make([]float64, t.K*t.N*t.T*(2*n+m))
	for k := range t.K {
		for i := range t.N {
			for s := range t.T {
				z := back[: 2*n+m : 2*n+m]
				back = back[2*n+m:]
				t.transition(z, k, i, s)
				data = append(data, z)
			}
		}
	}
	t.gmm = FitGMM(data, t.cfg.Clusters, t.cfg.EMIters, t.cfg.GMMReg, rand.New(rand.NewPCG(t.cfg.Seed, GMMStream+uint64(iter))))
}

// transition writes [x_t; u_t; x_{t+1}] of sample i of condition k into z,
// u_t the intended action: the LQG chooses intended actions, and where the
// env clips them the fitted slope in u is (correctly) near zero. With the
// applied action, constant wherever the controller saturates, the
// samples said nothing about that slope and the prior set it (0.74 where
// the pendulum's is 0.15), and the forward passes of the LQG, which plug
// in the intended actions, ran away (see TestKLVanishesAtLargeEta).
func (t *Trainer) transition(z []float64, k, i, s int) {
	n, m := t.n, t.m
	copy(z[:n], t.X[k][i][s*n:(s+1)*n])
	copy(z[n:n+m], t.UI[k][i][s*m:(s+1)*m])
	copy(z[n+m:], t.X[k][i][(s+1)*n:(s+2)*n])
}

// (2b-3) Condition k's trajectory step: fit the dynamics, expand the cost,
// linearise the policy, adapt epsilon, and solve the KL-bounded LQG on the
// surrogate c + lambda'(pi(x) - u) + rho |pi(x) - u|^2.
func (t *Trainer) trajectoryStep(w *worker, k int) error {
	n, m, N := t.n, t.m, t.N
	dyn := t.dyn[k]
	st := &t.stats[k]
	st.dynOK = true
	clearQ(w.qc)
	for s := range t.T {
		for i := range N {
			t.transition(w.pts[i], k, i, s)
		}
		if !w.fit.fit(dyn, s, w.pts, t.gmm) {
			st.dynOK = false
			return fmt.Errorf("lggps: condition %d step %d: the dynamics fit is singular (raise --samples or use the prior)", k, s)
		}
		// The task cost's expansion at the samples' mean state and action
		// (not the mean of the samples' expansions: across a
		// discontinuity such as the pendulum's angle wrap at the bottom
		// those average to a minimum at the wrap), and the bound penalty
		// at every sample's intended action.
		clear(w.z)
		for i := range N {
			for c, v := range t.X[k][i][s*n : (s+1)*n] {
				w.z[c] += v / float64(N)
			}
			for a, v := range t.U[k][i][s*m : (s+1)*m] {
				w.z[n+a] += v / float64(N)
			}
			w.exp.addPenalty(w.qc, s, 1/float64(N), t.UI[k][i][s*m:(s+1)*m])
		}
		l := w.exp.expand(w.z)
		addAt(w.qc, s, 1, l, w.exp.g, w.exp.H, w.z)
	}
	// The surrogate: task cost plus the Lagrangian with pi linearised at
	// the samples' mean state of every step.
	copyQ(w.qs, w.qc)
	for s := range t.T {
		if err := t.linearisePolicy(w, k, s); err != nil {
			return err
		}
		addLagrangian(w.qs, s, w.jp, w.ap, t.lambda[k][s], t.rho[k][s], n, m)
	}
	// Step-size rule (Levine & Abbeel 2014, Sec. 3.3): compare the
	// improvement of the task cost the previous step predicted (under the
	// previous models) with the one its samples achieved. The paper
	// measures the latter under the new models too; the samples' mean cost
	// is noisier but cannot be fooled by a poor fit, which on
	// cartpole-continuous let the step grow while the real cost rose.
	x0 := t.x0[k]
	var mc float64
	for i := range N {
		mc += t.costs[k][i] / float64(N)
	}
	if t.hasPred[k] {
		pred := t.prevObj[k] - t.predObj[k]
		act := t.prevMC[k] - mc
		r := pred / (2 * math.Max(1e-4, pred-act))
		r = math.Min(math.Max(r, 0.1), 5)
		t.mult[k] = math.Min(math.Max(t.mult[k]*r, t.cfg.MinStepMult), t.cfg.MaxStepMult)
	}
	eps := t.cfg.KLStep * t.mult[k] * float64(t.T)
	res, err := w.lqg.Solve(w.next, t.ctrl[k], dyn, w.qs, x0, eps, t.eta[k])
	if err != nil {
		return fmt.Errorf("lggps: condition %d: %w", k, err)
	}
	t.eta[k] = res.Eta
	st.kl, st.eps, st.kept = res.KL/float64(t.T), eps/float64(t.T), res.Kept
	prev, err := w.lqg.ExpectedCost(t.ctrl[k], dyn, w.qc, x0)
	if err != nil {
		return fmt.Errorf("lggps: condition %d: %w", k, err)
	}
	next, err := w.lqg.ExpectedCost(w.next, dyn, w.qc, x0)
	if err != nil {
		return fmt.Errorf("lggps: condition %d: %w", k, err)
	}
	// A prediction that is not finite (the expected cost of a controller
	// through models that diverge over the horizon) adapts nothing: the
	// next step keeps the multiplier.
	ok := !math.IsNaN(prev-next) && !math.IsInf(prev-next, 0)
	if !ok {
		prev, next = 0, 0
	}
	t.prevObj[k], t.predObj[k], t.prevMC[k], t.hasPred[k] = prev, next, mc, ok
	for s := range t.T {
		copy(t.ctrl[k].K[s], w.next.K[s])
		copy(t.ctrl[k].Offset[s], w.next.Offset[s])
		if err := t.ctrl[k].SetCov(s, w.next.Cov(s)); err != nil {
			return fmt.Errorf("lggps: condition %d: %w", k, err)
		}
	}
	var c, r float64
	for i := range N {
		c += t.costs[k][i]
		r += t.returns[k][i]
	}
	st.trajCost, st.ret = c/float64(N), r/float64(N)
	return nil
}

// linearisePolicy writes pi(h(x)) ~ J x + j around the samples' mean state
// xbar of step s into w.jp (J [m, n]) and w.ap (j [m]): J = d pi/d obs
// d h/dx, with the observation map h read from the env by SetState and
// differentiated by central differences.
func (t *Trainer) linearisePolicy(w *worker, k, s int) error {
	n, m, p := t.n, t.m, t.p
	clear(w.xbar)
	for i := range t.N {
		for c, v := range t.X[k][i][s*n : (s+1)*n] {
			w.xbar[c] += v / float64(t.N)
		}
	}
	copy(w.xp, w.xbar)
	for c := range n {
		h := t.cfg.FDStep * math.Max(1, math.Abs(w.xbar[c]))
		w.xp[c] = w.xbar[c] + h
		op, err := w.env.SetState(w.xp)
		if err != nil {
			return fmt.Errorf("lggps: observation map: %w", err)
		}
		copy(w.op, op)
		w.xp[c] = w.xbar[c] - h
		om, err := w.env.SetState(w.xp)
		if err != nil {
			return fmt.Errorf("lggps: observation map: %w", err)
		}
		w.xp[c] = w.xbar[c]
		for r := range p {
			w.ox[r*n+c] = (w.op[r] - om[r]) / (2 * h)
		}
	}
	obs, err := w.env.SetState(w.xbar)
	if err != nil {
		return fmt.Errorf("lggps: observation map: %w", err)
	}
	w.pol.Act(w.ap, obs)
	w.pol.ActionJacobian(w.jo, obs)
	mul(w.jp, w.jo, w.ox, m, p, n)
	for a := range m {
		for c := range n {
			w.ap[a] -= w.jp[a*n+c] * w.xbar[c]
		}
	}
	return nil
}

// addLagrangian adds lambda'g + rho|g|^2 with g = J x + j - u = A z + j,
// A = [J, -I], to q's step s: Hessian 2 rho A'A, gradient A'(lambda +
// 2 rho j), constant lambda'j + rho |j|^2.
func addLagrangian(q *Quadratic, s int, J, j, lam []float64, rho float64, n, m int) {
	d := n + m
	C, c := q.C[s], q.c[s]
	at := func(a, col int) float64 { // A[a, col]
		if col < n {
			return J[a*n+col]
		}
		if col-n == a {
			return -1
		}
		return 0
	}
	for a := range m {
		w := lam[a] + 2*rho*j[a]
		for x := range d {
			ax := at(a, x)
			if ax == 0 {
				continue
			}
			c[x] += ax * w
			for y := range d {
				C[x*d+y] += 2 * rho * ax * at(a, y)
			}
		}
		q.c0[s] += lam[a]*j[a] + rho*j[a]*j[a]
	}
}

func clearQ(q *Quadratic) {
	for s := range q.C {
		clear(q.C[s])
		clear(q.c[s])
	}
	clear(q.c0)
}

func copyQ(dst, src *Quadratic) {
	for s := range src.C {
		copy(dst.C[s], src.C[s])
		copy(dst.c[s], src.c[s])
	}
	copy(dst.c0, src.c0)
}

// (4) theta <- argmin sum over samples of lambda'(pi - u) + rho|pi - u|^2
// with u the new controller's mean at the sampled state (its action under
// the Gaussians' shared noise): a regression of pi(o) on
// K x + k - lambda/(2 rho) (clipped into the bounds) weighted by rho,
// by Adam with shuffled minibatches and a cosine-annealed learning rate.
// The policy's covariance is the inverse of the controllers' mean
// precision. A policy with an observation normaliser (nn.PolicyArch
// ObsNorm) has it fitted to the first iteration's observations. It
// returns the last epoch's mean loss.
func (t *Trainer) policyStep(ctx context.Context, iter int) (float64, error) {
	n, m, p := t.n, t.m, t.p
	var rhoSum float64
	for k := range t.K {
		for _, r := range t.rho[k] {
			rhoSum += r
		}
	}
	scale := float64(t.K*t.T) / rhoSum
	row := 0
	prec := make([]float64, m)
	ch := newChol(m)
	inv := make([]float64, m*m)
	for k := range t.K {
		c := t.ctrl[k]
		for s := range t.T {
			if ch.factor(c.Cov(s)) {
				ch.inverse(inv)
				for a := range m {
					prec[a] += inv[a*m+a]
				}
			}
			for i := range t.N {
				y := t.fit.Ys[row*m : (row+1)*m]
				c.Mean(y, s, t.X[k][i][s*n:(s+1)*n])
				t.clip(y, y)
				for a := range m {
					y[a] -= t.lambda[k][s][a] / (2 * t.rho[k][s])
				}
				copy(t.fit.Xs[row*p:(row+1)*p], t.O[k][i][s*p:(s+1)*p])
				t.fit.Ws[row] = t.rho[k][s] * scale
				row++
			}
		}
	}
	for a := range m {
		t.polVar[a] = float64(t.K*t.T) / prec[a]
	}
	rows := row
	if nm, ok := t.pol.(interface{ Normaliser() *nn.Normaliser }); ok && iter == 0 && nm.Normaliser() != nil {
		// A policy with an observation normaliser gets the statistics of
		// the first samples (in place: the regression graph aliases them;
		// checkpoints carry them). Those of the model initialisation's
		// random episodes gave -230 instead of -158 on pendulum at seed 2.
		nm.Normaliser().Fit(t.fit.Xs[:rows*p], rows, p)
	}
	loss, err := t.fit.Fit(ctx, t.reg, t.rng, rows, t.cfg.PolicyEpochs, t.lr, t.cfg.LRFloor)
	if err != nil {
		return 0, fmt.Errorf("lggps: policy step: %w", err)
	}
	return loss, nil
}

// (5) lambda_t += alpha E[pi(o_t) - (K_t x_t + k_t)] over the samples
// (alpha = DualStep or 2 rho_t); rho grows where the violation stalls.
// The same pass rolls the policy's mean out alone from the condition.
func (t *Trainer) dualStep(w *worker, k int) error {
	n, m, p := t.n, t.m, t.p
	st := &t.stats[k]
	st.violSum, st.violSq = 0, 0
	for s := range t.T {
		gs := t.lambda[k][s] // updated in place below
		mean := w.mean
		clear(mean)
		for i := range t.N {
			x := t.X[k][i][s*n : (s+1)*n]
			w.pol.Act(w.a, t.O[k][i][s*p:(s+1)*p])
			t.ctrl[k].Mean(w.u, s, x)
			t.clip(w.u, w.u)
			var sq float64
			for a := range m {
				v := w.a[a] - w.u[a]
				mean[a] += v / float64(t.N)
				sq += v * v
			}
			st.violSum += math.Sqrt(sq)
			st.violSq += sq
		}
		alpha := t.cfg.DualStep
		if alpha == 0 {
			alpha = 2 * t.rho[k][s]
		}
		for a := range m {
			gs[a] += alpha * mean[a]
		}
	}
	cnt := float64(t.T * t.N)
	viol := math.Sqrt(st.violSq / cnt)
	if !math.IsNaN(t.prevViol[k]) && viol > t.cfg.RhoStall*t.prevViol[k] {
		for s := range t.rho[k] {
			t.rho[k][s] = math.Min(t.rho[k][s]*t.cfg.RhoGrowth, t.cfg.RhoMax)
		}
	}
	t.prevViol[k] = viol
	// The policy alone from x0_k.
	obs, err := w.env.SetState(t.x0[k])
	if err != nil {
		return fmt.Errorf("lggps: condition %d: %w", k, err)
	}
	var c float64
	for range t.T {
		w.pol.Act(w.a, obs)
		t.clip(w.u, w.a)
		c += t.cost.Cost(w.env.State(), w.u)
		obs, _, _, _ = w.env.Step(w.u)
	}
	st.policyCost = c
	return nil
}

func (t *Trainer) metrics(policyLoss float64) []common.Metric {
	var traj, ret, pc, vs, vq, kl, eps, leta, rho, lam2, kept float64
	for k := range t.K {
		st := t.stats[k]
		if st.kept {
			kept++
		}
		traj += st.trajCost
		ret += st.ret
		pc += st.policyCost
		vs += st.violSum
		vq += st.violSq
		kl += st.kl
		eps += st.eps
		leta += math.Log(t.eta[k])
		for s := range t.T {
			rho += t.rho[k][s]
			for _, l := range t.lambda[k][s] {
				lam2 += l * l
			}
		}
	}
	K, KT, KTN := float64(t.K), float64(t.K*t.T), float64(t.K*t.T*t.N)
	var pv float64
	for _, v := range t.polVar {
		pv += v
	}
	return []common.Metric{
		{Name: "traj_cost", Value: traj / K},
		{Name: "sample_return", Value: ret / K},
		{Name: "policy_cost", Value: pc / K},
		{Name: "violation", Value: vs / KTN},
		{Name: "violation_rms", Value: math.Sqrt(vq / KTN)},
		{Name: "kl_step", Value: kl / K},
		{Name: "epsilon", Value: eps / K},
		{Name: "eta", Value: math.Exp(leta / K)},
		{Name: "rho", Value: rho / KT},
		{Name: "lambda_rms", Value: math.Sqrt(lam2 / (KT * float64(t.m)))},
		{Name: "policy_loss", Value: policyLoss},
		{Name: "policy_std", Value: math.Sqrt(pv / float64(t.m))},
		{Name: "env_steps", Value: float64(t.envSteps)},
		{Name: "lqg_kept", Value: kept},
	}
}

// parallel runs fn for every condition on the workers. Each condition's
// work writes only its own slots and reads shared data, so results do not
// depend on the number of workers. The first error in condition order is
// returned.
func (t *Trainer) parallel(ctx context.Context, fn func(w *worker, k int) error) error {
	errs := make([]error, t.K)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for _, w := range t.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range jobs {
				if err := ctx.Err(); err != nil {
					errs[k] = err
					continue
				}
				errs[k] = fn(w, k)
			}
		}()
	}
	for k := range t.K {
		jobs <- k
	}
	close(jobs)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
