package gps

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/parallel"
)

// Trainer is deterministic guided policy search by dual gradient descent on
// the augmented Lagrangian (see the package doc). It implements
// common.Trainer; each Iterate reports
//
//	traj_cost      mean over conditions of c(tau)
//	policy_cost    mean over conditions of the policy-alone cost
//	violation      mean over conditions and steps of |pi(x_t) - u_t|
//	violation_rms  sqrt of the mean of |pi(x_t) - u_t|^2
//	loss           mean augmented Lagrangian L(tau, theta, lambda) before
//	               the dual update
//	policy_loss    last epoch's mean weighted regression loss
//	rho            mean penalty; lambda_rms: RMS of the dual variables
//	dual_residual  mean over conditions of 2 rho RMS|pi_new - pi_old|
//	ilqr_iters     mean iLQR iterations per condition
//	ilqr_failures  conditions whose iLQR stopped on an indefinite Q_uu
//	               (their last accepted trajectory is kept)
//
// and ConditionStats has each condition's numbers.
type Trainer struct {
	cfg     Config
	sys     System
	pol     Policy
	reg     *nn.Regressor
	pcg     *rand.PCG
	rng     *rand.Rand
	workers []*worker

	K, T, n, m, p int
	low, high     []float64
	x0            [][]float64   // [K][n] initial conditions
	X             [][][]float64 // [K][T+1][n] trajectories
	U             [][][]float64 // [K][T][m]
	gains         [][][]float64 // [K][T][m*n] iLQR feedback gains of the trajectories
	lambda        [][][]float64 // [K][T][m] dual variables
	rho           [][]float64   // [K][T] penalties
	g             [][][]float64 // [K][T][m] violation pi(x_t) - u_t after the last policy step
	piOld         [][][]float64 // [K][T][m] the previous policy's actions pi_old(x_t) on the new trajectory
	prevViol      []float64     // [K] RMS violation of the previous iteration (NaN: none)
	started       bool          // trajectories exist
	stats         []ConditionStat
	order         []int // the trajectory step's order of the conditions
	failures      []bool

	fit *Regression // the policy step's rows and minibatches
	xp  []float64   // a perturbed state
	lr  float64     // Adam.LR with its default filled in
}

var _ common.Trainer = (*Trainer)(nil)

// Iterate runs one GPS iteration: (1) trajectories, (2) policy, (3) dual
// variables and penalties.
func (t *Trainer) Iterate(ctx context.Context, iter int) ([]common.Metric, error) {
	t.applySchedule(iter)
	if err := t.trajectoryStep(ctx); err != nil {
		return nil, err
	}
	policyLoss, err := t.policyStep(ctx)
	if err != nil {
		return nil, err
	}
	if err := t.refreshWorkers(); err != nil {
		return nil, err
	}
	lag, err := t.dualStep(ctx)
	if err != nil {
		return nil, err
	}
	return t.metrics(policyLoss, lag), nil
}

// (1) tau <- argmin_tau L(tau, theta, lambda): per condition, iLQR on
// c + lambda'g + rho|g|^2 warm-started from the previous trajectory. In
// the first iteration there is no policy to stay close to yet: each
// condition's trajectory is iLQR on c alone from each of Config.Init's
// plans, the cheapest kept.
func (t *Trainer) trajectoryStep(ctx context.Context) error {
	first := !t.started
	// Conditions that took the most iLQR iterations last time are handed
	// out first (longest job first): their solve times differ by 30x, and
	// a long one taken last leaves the other workers idle. Each
	// condition's result does not depend on the worker or the order.
	for i := range t.order {
		t.order[i] = i
	}
	if !first {
		slices.SortStableFunc(t.order, func(a, b int) int { return t.stats[b].ILQRIters - t.stats[a].ILQRIters })
	}
	err := t.parallel(ctx, func(w *worker, i int) error {
		k := t.order[i]
		t.failures[k] = false
		if first {
			if err := t.initialTrajectory(w, k); err != nil {
				return err
			}
		} else {
			w.lag.Lambda, w.lag.Rho = t.lambda[k], t.rho[k]
			w.solver.SetExtra(w.lag)
			sol, err := w.solver.Solve(t.x0[k], t.U[k])
			switch {
			case sol == nil:
				return fmt.Errorf("gps: iLQR on condition %d: %w", k, err)
			case err != nil:
				// Q_uu stayed indefinite: keep the last accepted trajectory.
				t.failures[k] = true
			}
			t.keep(k, sol)
		}
		for s := range t.T {
			w.sys.Obs(w.obs, t.X[k][s])
			w.pol.Act(t.piOld[k][s], w.obs)
		}
		return nil
	})
	if err != nil {
		return err
	}
	t.started = true
	return nil
}

// (2) theta <- argmin_theta L: sum_{k,t} lambda'(pi - u) + rho|pi - u|^2
// equals sum rho |pi - (u - lambda/(2 rho))|^2 up to a constant, so the
// policy step is a regression of pi(obs_t) on u_t - lambda_t/(2 rho_t) with
// weights rho_t (scaled by their mean, which leaves the minimiser alone)
// over every condition's trajectory, by Adam for PolicyEpochs epochs of
// shuffled minibatches (the last one of an epoch completed by wrapping
// around) with the learning rate annealed as Config.LRFloor says. It
// returns the last epoch's mean minibatch loss.
func (t *Trainer) policyStep(ctx context.Context) (float64, error) {
	var rhoSum float64
	for k := range t.K {
		for _, r := range t.rho[k] {
			rhoSum += r
		}
	}
	scale := float64(t.K*t.T) / rhoSum
	row := 0
	n, sigma := t.n, t.cfg.FeedbackNoise
	for k := range t.K {
		for s := range t.T {
			r := t.rho[k][s]
			for j := range t.cfg.FeedbackSamples + 1 {
				copy(t.xp, t.X[k][s])
				y := t.fit.Ys[row*t.m : (row+1)*t.m]
				copy(y, t.U[k][s])
				if j > 0 { // a perturbed state with the local controller's action
					for c := range n {
						t.xp[c] += sigma * t.rng.NormFloat64()
					}
					for i := range t.m {
						for c := range n {
							y[i] += t.gains[k][s][i*n+c] * (t.xp[c] - t.X[k][s][c])
						}
						if t.low != nil {
							y[i] = math.Min(math.Max(y[i], t.low[i]), t.high[i])
						}
					}
				}
				t.sys.Obs(t.fit.Xs[row*t.p:(row+1)*t.p], t.xp)
				for i := range t.m {
					y[i] -= t.lambda[k][s][i] / (2 * r)
				}
				t.fit.Ws[row] = r * scale
				row++
			}
		}
	}
	loss, err := t.fit.Fit(ctx, t.reg, t.rng, row, t.cfg.PolicyEpochs, t.lr, t.cfg.LRFloor)
	if err != nil {
		return 0, fmt.Errorf("gps: policy step: %w", err)
	}
	return loss, nil
}

// (3) lambda_t <- lambda_t + alpha_t g_t with g_t = pi(x_t) - u_t of the
// new policy (dL/dlambda_t = g_t) and alpha_t = DualStep or 2 rho_t. Then,
// without a schedule, rho of a condition whose RMS violation did not fall
// below RhoStall times its previous value is multiplied by RhoGrowth. The
// same pass rolls the policy out alone from each condition. It returns the
// mean augmented Lagrangian before the dual update.
func (t *Trainer) dualStep(ctx context.Context) (float64, error) {
	lags := make([]float64, t.K)
	err := t.parallel(ctx, func(w *worker, k int) error {
		lag := t.stats[k].TrajCost
		var sumAbs, sumSq, dual, uSq float64
		for s := range t.T {
			for _, v := range t.U[k][s] {
				uSq += v * v
			}
			g, lam, r := t.g[k][s], t.lambda[k][s], t.rho[k][s]
			w.lag.Violation(g, t.X[k][s], t.U[k][s])
			alpha := t.cfg.DualStep
			if alpha == 0 {
				alpha = 2 * r
			}
			var sq float64
			for i, gi := range g {
				lag += lam[i]*gi + r*gi*gi
				lam[i] += alpha * gi
				sq += gi * gi
				d := 2 * r * (w.lag.a[i] - t.piOld[k][s][i]) // w.lag.a = pi_new(x_t)
				dual += d * d
			}
			sumAbs += math.Sqrt(sq)
			sumSq += sq
		}
		lags[k] = lag
		viol := math.Sqrt(sumSq / float64(t.T))
		t.stats[k].DualResidual = math.Sqrt(dual / float64(t.T))
		if len(t.cfg.RhoSchedule) == 0 && !math.IsNaN(t.prevViol[k]) && viol >= t.cfg.RhoTol*math.Sqrt(uSq/float64(t.T)) {
			dual := t.stats[k].DualResidual
			switch {
			case viol > t.cfg.RhoStall*t.prevViol[k] && viol > t.cfg.RhoBalance*dual:
				for s := range t.rho[k] {
					t.rho[k][s] = math.Min(t.rho[k][s]*t.cfg.RhoGrowth, t.cfg.RhoMax)
				}
			case t.cfg.RhoShrink > 0 && dual > t.cfg.RhoShrink*viol:
				for s := range t.rho[k] {
					t.rho[k][s] = math.Max(t.rho[k][s]/t.cfg.RhoGrowth, t.cfg.Rho)
				}
			}
		}
		t.prevViol[k] = viol
		var rs float64
		for _, r := range t.rho[k] {
			rs += r
		}
		t.stats[k].Violation = sumAbs / float64(t.T)
		t.stats[k].Rho = rs / float64(t.T)
		t.stats[k].PolicyCost = t.policyCost(w, k)
		return nil
	})
	var mean float64
	for _, l := range lags {
		mean += l
	}
	return mean / float64(t.K), err
}

// RhoStage is one step of a penalty schedule: from iteration From
// (0-based) on, rho_t = Rho for every condition and step.
type RhoStage struct {
	From int     `json:"from"`
	Rho  float64 `json:"rho"`
}

// ParseRhoSchedule parses a penalty schedule "ITER:RHO,ITER:RHO,...", e.g.
// "5:10,10:100": rho = 10 from iteration 5 on and 100 from iteration 10 on
// (Config.Rho before the first). "" and "adaptive" mean no schedule: rho
// starts at Config.Rho and rises where the violation stalls.
func ParseRhoSchedule(s string) ([]RhoStage, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "adaptive" {
		return nil, nil
	}
	var out []RhoStage
	for _, part := range strings.Split(s, ",") {
		it, r, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return nil, fmt.Errorf("gps: rho schedule entry %q is not ITER:RHO", part)
		}
		from, err1 := strconv.Atoi(strings.TrimSpace(it))
		rho, err2 := strconv.ParseFloat(strings.TrimSpace(r), 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("gps: rho schedule entry %q is not ITER:RHO with an integer and a number", part)
		}
		out = append(out, RhoStage{From: from, Rho: rho})
	}
	if err := validateSchedule(out); err != nil {
		return nil, err
	}
	return out, nil
}

func validateSchedule(st []RhoStage) error {
	for i, s := range st {
		if s.From < 0 || !(s.Rho > 0) || math.IsInf(s.Rho, 0) {
			return fmt.Errorf("gps: rho schedule entry %d:%g needs ITER >= 0 and a finite RHO > 0", s.From, s.Rho)
		}
		if i > 0 && s.From <= st[i-1].From {
			return fmt.Errorf("gps: rho schedule iterations must increase (%d after %d)", s.From, st[i-1].From)
		}
	}
	return nil
}

// Config configures a Trainer; DefaultConfig gives the defaults.
type Config struct {
	// Conditions is the number K of initial conditions, drawn once from the
	// env's reset distribution with rand.NewPCG(Seed, ConditionStream)
	// (default 128; the first K' of K conditions are those of a run with
	// K'). On Pendulum-v1 (100 starts of "mbrl eval --seed 11", optimum
	// -131.5) K = 64 gave -142.4 -144.8 -143.7 -141.1 -143.7 at seeds 1-5
	// (worst 10.2% from the optimum: the policy generalises from too few
	// trajectories), K = 128 -142.8 -141.4 -141.0 -139.5 -137.3 (worst 8.6%)
	// for about twice the iLQR work.
	Conditions int
	// Horizon is the length T of every trajectory; 0 (the default) means
	// the env's episode length MaxSteps, so that c(tau) is minus an
	// episode's return (100 for an env without a limit).
	Horizon int
	// Rho is the initial penalty rho_t of every condition and step
	// (default 1).
	Rho float64
	// RhoSchedule, if set, fixes rho by iteration (ParseRhoSchedule) and
	// turns the adaptive increase off.
	RhoSchedule []RhoStage
	// Without a schedule a condition's rho is multiplied by RhoGrowth
	// (default 2) after an iteration whose RMS violation r of that
	// condition is above RhoStall (default 0.75) times the previous one
	// (Bertsekas 1982), as long as r is above RhoBalance (default 1) times
	// the dual residual s = 2 rho RMS_t |pi_new(x_t) - pi_old(x_t)| (Boyd et
	// al. 2011, Sec. 3.4.1: a large rho slows the alternating steps down,
	// so it is raised only while the violation, not the policy's own
	// motion, dominates), and up to RhoMax (default 1000).
	RhoGrowth, RhoStall, RhoBalance, RhoMax float64
	// RhoShrink > 0 divides a condition's rho by RhoGrowth, down to Rho,
	// when its dual residual exceeds RhoShrink times its RMS violation (the
	// other half of Boyd et al.'s residual balancing, 10 there). 0, the
	// default, never lowers rho: on pendulum lowering it let the violation
	// settle 4x higher (0.002 instead of 0.0005 after 30 iterations).
	RhoShrink float64
	// RhoTol stops adapting a condition's rho while its RMS violation is
	// below RhoTol (default 1e-3) times the RMS of its controls: the
	// constraint is then met to the precision of the policy fit, and rho
	// moved by the fit's noise only slows the alternation down.
	RhoTol float64
	// DualStep is the step alpha of lambda_t += alpha g_t; 0 (default) uses
	// alpha_t = 2 rho_t, the method-of-multipliers step, for which the
	// stationarity condition of the policy step carries over to lambda.
	DualStep float64
	// PolicyEpochs is the number M of epochs of the policy regression per
	// iteration (default 20).
	PolicyEpochs int
	// Batch is the minibatch size of the policy regression (default 256).
	Batch int
	// PolicyShards splits each minibatch of the policy regression into
	// this many blocks of rows with their own graphs, run on two cores,
	// the gradient summed in block order (nn.RegressorConfig.Shards):
	// results depend on it, not on the number of cores. Default 2; 0 or
	// 1: one graph (the results of the module before it existed).
	PolicyShards int
	// Adam configures the policy's optimiser (default LR 1e-3); its state
	// carries over from one iteration to the next.
	Adam nn.Adam
	// LRFloor anneals the learning rate within every policy step along a
	// cosine from Adam.LR down to LRFloor·Adam.LR at its last minibatch
	// (default 0.01; 1 keeps it constant). Restarted at every iteration
	// (Loshchilov & Hutter 2017), it ends each step near the regression's
	// minimiser instead of at Adam's noise floor, which otherwise sets the
	// floor of the constraint violation.
	LRFloor float64
	// FeedbackSamples > 0 adds, for every trajectory step, that many rows
	// to the policy regression at perturbed states x_t + delta, delta ~
	// N(0, FeedbackNoise^2 I) in the system's state (default noise 0.01),
	// with the targets of the trajectory's local feedback controller
	// u_t + K_t delta (K_t: iLQR's gains, clipped into the action bounds)
	// minus lambda_t/(2 rho_t), and the weight rho_t. The pointwise
	// constraint says nothing about the policy's slope, and a policy that
	// matches the trajectories but not their feedback can be unstable run
	// alone (Mordatch & Todorov 2014 train on such perturbed states). 0,
	// the default, is the plain method.
	FeedbackSamples int
	FeedbackNoise   float64
	// ILQRIters bounds the iLQR iterations per condition and iteration
	// (default: iLQR's own, control.DefaultILQRSettings().MaxIter = 100).
	ILQRIters int
	// Init are the candidate initial plans of the first iteration: each is
	// optimised by iLQR on c alone (no policy exists yet to constrain to)
	// and the cheapest kept (at least one). Default: [control.ZeroPlan{}]. Swing-up tasks
	// need a better guess (control.PendulumSwingUp for pendulum): iLQR from
	// zeros ends in poor local optima there.
	Init []control.Generator
	// Workers optimise the conditions in parallel; 0 (the default) means
	// GOMAXPROCS. Results do not depend on it.
	Workers int
	// Seed selects the conditions and the policy regression's minibatches.
	Seed uint64
}

// Random streams of rand.NewPCG(Seed, stream).
const (
	ConditionStream = 11      // the initial conditions
	MinibatchStream = 12      // the policy regression's shuffling
	InitStream      = 1 << 32 // + k: condition k's initial plan generators
)

// DefaultConfig returns the default Config: K = 128 conditions of the
// env's episode length, rho = 1 adapted by residual balancing, 20 policy
// epochs of minibatches of 256 with Adam (LR 1e-3, cosine floor 0.01), at
// most 100 iLQR iterations, trajectories initialised from zero controls.
func DefaultConfig() Config {
	return Config{
		Conditions: 128, Rho: 1, RhoGrowth: 2, RhoStall: 0.75, RhoBalance: 1, RhoMax: 1000, RhoTol: 1e-3,
		PolicyEpochs: 20, Batch: 256, PolicyShards: 2, Adam: nn.Adam{LR: 1e-3}, LRFloor: 0.01, FeedbackNoise: 0.01,
		ILQRIters: control.DefaultILQRSettings().MaxIter, Init: []control.Generator{control.ZeroPlan{}},
	}
}

// Validate returns a *config.Error naming the first invalid field.
func (c Config) Validate() error {
	v := config.Checker{Pkg: "gps"}
	v.AtLeast("Conditions", c.Conditions, 1)
	v.AtLeast("Horizon", c.Horizon, 0)
	v.Positive("Rho", c.Rho)
	v.Nested("RhoSchedule", validateSchedule(c.RhoSchedule))
	v.Check(c.RhoGrowth >= 1 && !math.IsInf(c.RhoGrowth, 0), "RhoGrowth", "must be >= 1 and finite, got %v", c.RhoGrowth)
	v.Positive("RhoStall", c.RhoStall)
	v.NonNegative("RhoBalance", c.RhoBalance)
	v.Check(c.RhoMax >= c.Rho && !math.IsInf(c.RhoMax, 0), "RhoMax", "must be finite and >= Rho (%v), got %v", c.Rho, c.RhoMax)
	v.NonNegative("RhoShrink", c.RhoShrink)
	v.NonNegative("RhoTol", c.RhoTol)
	v.NonNegative("DualStep", c.DualStep)
	v.AtLeast("PolicyEpochs", c.PolicyEpochs, 1)
	v.AtLeast("PolicyShards", c.PolicyShards, 0)
	v.Check(c.Batch < 1 || c.PolicyShards <= c.Batch, "PolicyShards", "must be at most the minibatch (%d rows), got %d", c.Batch, c.PolicyShards)
	v.AtLeast("Batch", c.Batch, 1)
	v.Positive("Adam.LR", c.Adam.LR)
	v.Check(c.LRFloor > 0 && c.LRFloor <= 1, "LRFloor", "must be in (0, 1], got %v", c.LRFloor)
	v.AtLeast("FeedbackSamples", c.FeedbackSamples, 0)
	v.Positive("FeedbackNoise", c.FeedbackNoise)
	v.AtLeast("ILQRIters", c.ILQRIters, 1)
	v.Check(len(c.Init) > 0, "Init", "needs at least one initial plan generator (e.g. control.ZeroPlan{})")
	v.AtLeast("Workers", c.Workers, 0)
	return v.Err()
}

// resolved validates c and replaces the zero Horizon and Workers by env's
// episode length and GOMAXPROCS.
func (c Config) resolved(env envs.Env) (Config, error) {
	if err := c.Validate(); err != nil {
		return c, err
	}
	if c.Horizon == 0 {
		c.Horizon = env.MaxSteps()
		if c.Horizon <= 0 {
			c.Horizon = 100
		}
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	return c, nil
}

// ConditionStat is one condition's result of the last iteration.
type ConditionStat struct {
	// TrajCost is c(tau) = sum_{t<T} c(x_t, u_t) of the trajectory.
	TrajCost float64 `json:"traj_cost"`
	// PolicyCost is the same sum for the policy alone from the condition.
	PolicyCost float64 `json:"policy_cost"`
	// Violation is mean_t |pi(x_t) - u_t| after the policy step.
	Violation float64 `json:"violation"`
	// Rho is the condition's mean rho_t after the iteration's update.
	Rho float64 `json:"rho"`
	// DualResidual is 2 rho RMS_t |pi_new(x_t) - pi_old(x_t)|.
	DualResidual float64 `json:"dual_residual"`
	// ILQRIters counts the iLQR iterations of the trajectory step.
	ILQRIters int `json:"ilqr_iters"`
}

// worker is one goroutine's solver, Lagrangian and copies of the system and
// policy.
type worker struct {
	sys    System
	pol    Policy
	lag    *Lagrangian
	solver *control.ILQR
	ctx    *control.PlanContext
	u0     [][]float64
	x, xn  []float64
	obs, a []float64
}

// New returns a Trainer of pol on sys. env supplies the initial conditions
// (its reset distribution; it is not used afterwards) and the default
// horizon. The policy's regression graph is built here, once.
func New(cfg Config, env envs.Env, sys System, pol Policy) (*Trainer, error) {
	if env == nil || sys == nil || pol == nil {
		return nil, errors.New("gps: New needs an env, a system and a policy")
	}
	if env.ActionSpace().Discrete {
		return nil, fmt.Errorf("gps: env %q has discrete actions; GPS needs continuous ones", env.Name())
	}
	cfg, err := cfg.resolved(env)
	if err != nil {
		return nil, err
	}
	n, m, p := sys.StateDim(), sys.ActionDim(), sys.ObsDim()
	if pol.ObsDim() != p || pol.ActDim() != m {
		return nil, fmt.Errorf("gps: the policy maps %d -> %d values, the system needs %d -> %d", pol.ObsDim(), pol.ActDim(), p, m)
	}
	if _, err := ClonePolicy(pol); err != nil {
		return nil, err
	}
	reg, err := nn.NewRegressor(pol, p, m, nn.RegressorConfig{Batch: cfg.Batch, Adam: cfg.Adam, Weighted: true, Shards: cfg.PolicyShards})
	if err != nil {
		return nil, fmt.Errorf("gps: policy regression: %w", err)
	}
	K, T := cfg.Conditions, cfg.Horizon
	rows := K * T * (1 + cfg.FeedbackSamples)
	pcg := rand.NewPCG(cfg.Seed, MinibatchStream)
	t := &Trainer{
		cfg: cfg, sys: sys, pol: pol, reg: reg, pcg: pcg, rng: rand.New(pcg),
		K: K, T: T, n: n, m: m, p: p,
		x0: mat2(K, n), X: make([][][]float64, K), U: make([][][]float64, K), gains: make([][][]float64, K),
		lambda: make([][][]float64, K), rho: mat2(K, T), g: make([][][]float64, K), piOld: make([][][]float64, K),
		prevViol: make([]float64, K), stats: make([]ConditionStat, K), order: make([]int, K), failures: make([]bool, K),
		fit: NewRegression(rows, p, m, cfg.Batch), xp: make([]float64, n),
	}
	t.lr = reg.Optimizer().LR
	t.low, t.high = sys.ActionBounds()
	crng := rand.New(rand.NewPCG(cfg.Seed, ConditionStream))
	for k := range K {
		obs := env.Reset(crng)
		sys.Start(t.x0[k], env, obs)
		t.X[k], t.U[k], t.gains[k] = mat2(T+1, n), mat2(T, m), mat2(T, m*n)
		t.lambda[k], t.g[k], t.piOld[k] = mat2(T, m), mat2(T, m), mat2(T, m)
		for s := range T {
			t.rho[k][s] = cfg.Rho
		}
		t.prevViol[k] = math.NaN()
	}
	for range min(cfg.Workers, K) {
		w, err := t.newWorker()
		if err != nil {
			return nil, err
		}
		t.workers = append(t.workers, w)
	}
	return t, nil
}

func mat2(r, c int) [][]float64 {
	back := make([]float64, r*c)
	a := make([][]float64, r)
	for i := range a {
		a[i] = back[i*c : (i+1)*c : (i+1)*c]
	}
	return a
}

func (t *Trainer) newWorker() (*worker, error) {
	sys := t.sys.Clone()
	pol, err := ClonePolicy(t.pol)
	if err != nil {
		return nil, err
	}
	solver, err := control.NewILQR(sys, sys, t.T, &control.ILQRSettings{
		MaxIter: t.cfg.ILQRIters, Low: t.low, High: t.high, NoTerminalCost: true,
	})
	if err != nil {
		return nil, fmt.Errorf("gps: %w", err)
	}
	return &worker{
		sys: sys, pol: pol, lag: NewLagrangian(sys, pol), solver: solver,
		ctx: &control.PlanContext{Model: sys, Low: t.low, High: t.high},
		u0:  mat2(t.T, t.m), x: make([]float64, t.n), xn: make([]float64, t.n),
		obs: make([]float64, t.p), a: make([]float64, t.m),
	}, nil
}

// Close releases the regression graph's machines.
func (t *Trainer) Close() { t.reg.Close() }

// Horizon returns the trajectory length T.
func (t *Trainer) Horizon() int { return t.T }

// Policy returns the trained policy.
func (t *Trainer) Policy() Policy { return t.pol }

// Models returns the policy.
func (t *Trainer) Models() []nn.Model { return []nn.Model{t.pol} }

// applySchedule sets rho from the schedule stage of iteration iter.
func (t *Trainer) applySchedule(iter int) {
	st := t.cfg.RhoSchedule
	if len(st) == 0 {
		return
	}
	rho := t.cfg.Rho
	i := sort.Search(len(st), func(i int) bool { return st[i].From > iter })
	if i > 0 {
		rho = st[i-1].Rho
	}
	for k := range t.K {
		for s := range t.T {
			t.rho[k][s] = rho
		}
	}
}

func (t *Trainer) initialTrajectory(w *worker, k int) error {
	w.solver.SetExtra(nil)
	w.ctx.Rng = rand.New(rand.NewPCG(t.cfg.Seed, InitStream+uint64(k)))
	best, iters := math.Inf(1), 0
	for _, gen := range t.cfg.Init {
		gen.Generate(w.u0, t.x0[k], w.ctx)
		sol, err := w.solver.Solve(t.x0[k], w.u0)
		if sol == nil {
			return fmt.Errorf("gps: initial iLQR on condition %d: %w", k, err)
		}
		iters += len(sol.Iters)
		if sol.Cost < best {
			best = sol.Cost
			t.keep(k, sol)
		}
	}
	t.stats[k].ILQRIters = iters
	return nil
}

// keep copies a solution into condition k's trajectory.
func (t *Trainer) keep(k int, sol *control.Solution) {
	for s := range sol.X {
		copy(t.X[k][s], sol.X[s])
	}
	for s := range sol.U {
		copy(t.U[k][s], sol.U[s])
		copy(t.gains[k][s], sol.K[s])
	}
	var c float64
	for s := range t.T {
		c += t.sys.Cost(t.X[k][s], t.U[k][s])
	}
	t.stats[k].TrajCost = c
	t.stats[k].ILQRIters = len(sol.Iters)
}

// refreshWorkers gives every worker a copy of the updated policy.
func (t *Trainer) refreshWorkers() error {
	for _, w := range t.workers {
		pol, err := ClonePolicy(t.pol)
		if err != nil {
			return err
		}
		w.pol, w.lag.Pol = pol, pol
	}
	return nil
}

// policyCost rolls the policy alone out from condition k for T steps on the
// system (actions clipped to the bounds) and returns sum_t c(x_t, u_t).
func (t *Trainer) policyCost(w *worker, k int) float64 {
	copy(w.x, t.x0[k])
	var c float64
	for range t.T {
		w.sys.Obs(w.obs, w.x)
		w.pol.Act(w.a, w.obs)
		for i := range w.a {
			if t.low != nil {
				w.a[i] = math.Min(math.Max(w.a[i], t.low[i]), t.high[i])
			}
		}
		c += w.sys.Cost(w.x, w.a)
		w.sys.Next(w.xn, w.x, w.a)
		w.x, w.xn = w.xn, w.x
	}
	return c
}

func (t *Trainer) metrics(policyLoss, lag float64) []common.Metric {
	var traj, pc, viol, sq, rho, lam2, iters, fails, dual float64
	for k := range t.K {
		st := t.stats[k]
		dual += st.DualResidual
		traj += st.TrajCost
		pc += st.PolicyCost
		viol += st.Violation
		rho += st.Rho
		iters += float64(st.ILQRIters)
		if t.failures[k] {
			fails++
		}
		for s := range t.T {
			for i := range t.m {
				sq += t.g[k][s][i] * t.g[k][s][i]
				lam2 += t.lambda[k][s][i] * t.lambda[k][s][i]
			}
		}
	}
	K, KT := float64(t.K), float64(t.K*t.T)
	return []common.Metric{
		{Name: "traj_cost", Value: traj / K},
		{Name: "policy_cost", Value: pc / K},
		{Name: "violation", Value: viol / K},
		{Name: "violation_rms", Value: math.Sqrt(sq / KT)},
		{Name: "loss", Value: lag},
		{Name: "policy_loss", Value: policyLoss},
		{Name: "rho", Value: rho / K},
		{Name: "lambda_rms", Value: math.Sqrt(lam2 / KT)},
		{Name: "dual_residual", Value: dual / K},
		{Name: "ilqr_iters", Value: iters / K},
		{Name: "ilqr_failures", Value: fails},
	}
}

// parallel runs fn for every condition on the workers (parallel.RunOn).
// Each condition's work depends only on k and shared read-only data, so
// the results do not depend on the number of workers.
func (t *Trainer) parallel(ctx context.Context, fn func(w *worker, k int) error) error {
	return parallel.RunOn(ctx, t.K, t.workers, fn)
}
