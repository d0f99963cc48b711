package lggps

import (
	"fmt"
	"math"

	"github.com/mbrl/mbrl/nn"
)

// Config configures a Trainer. Start from DefaultConfig; New checks it with
// Validate. Horizon 0 means the env's episode length and Workers 0 one per
// CPU; every other field is used as given.
type Config struct {
	// Conditions is the number K of initial conditions, drawn once from the
	// env's reset distribution with rand.NewPCG(Seed, ConditionStream).
	Conditions int
	// Samples is the number N of trajectories run from each condition with
	// its controller per iteration (real env steps: K N T per iteration).
	Samples int
	// Horizon is the trajectory length T (0: the env's MaxSteps). Episodes
	// that terminate early keep being stepped up to T: the trainer treats
	// the task as a fixed-horizon one and scores it by the cost alone.
	Horizon int
	// InitStd is the initial controllers' noise standard deviation, in
	// units of the half-width of the action bounds (1 for unbounded
	// actions); their gains and offsets start at zero.
	InitStd float64
	// Init, if set, gives the initial controllers' means instead of zero:
	// for each condition, the time-varying linearisation of the feedback
	// law Init (u = Init(x) on the env's state) along its own rollout from
	// the condition on the env, with gains by central differences of Init
	// (T real env steps per condition, counted in env_steps). Swing-up
	// tasks need it: from zero controllers the trajectory step converges
	// to hanging, even on the true local dynamics.
	Init func(dst, x []float64) `json:"-"`
	// KLStep is epsilon per time step: the trajectory step's bound is
	// KL(p_new || p_old) <= KLStep StepMult T, with StepMult adapted per
	// condition from the predicted and actual improvement (Levine & Abbeel
	// 2014, Sec. 3.3) between MinStepMult and MaxStepMult, from 1.
	KLStep                   float64
	MinStepMult, MaxStepMult float64
	// Clusters and EMIters size the Gaussian mixture prior over all
	// transitions of the iteration; PriorStrength is its weight n0 in
	// samples (0: no prior, plain regression); DynReg the ridge added to
	// the regression's input covariance and the dynamics noise; GMMReg the
	// mixture's covariance regulariser, relative to the data's variance.
	Clusters, EMIters int
	PriorStrength     float64
	DynReg, GMMReg    float64
	// FDStep is the relative step of the finite differences of the cost
	// (and of the observation map through env.SetState).
	FDStep float64
	// BoundPenalty P adds P max(0, u - high, low - u)^2 per action to the
	// trajectory cost: the env clips actions, which the linear models
	// cannot see.
	BoundPenalty float64
	// Rho is the initial penalty of the augmented Lagrangian
	// c + lambda'(pi(x) - u) + rho |pi(x) - u|^2 (every condition and step).
	// A condition's rho is multiplied by RhoGrowth, up to RhoMax, after an
	// iteration whose RMS violation is above RhoStall times the previous
	// one (Bertsekas 1982).
	Rho, RhoGrowth, RhoStall, RhoMax float64
	// DualStep is alpha in lambda_t += alpha E[pi(x_t) - u_t]; 0 uses
	// 2 rho_t, the method-of-multipliers step. That step assumes an exact
	// policy step; with an SGD policy that lags the controllers it made
	// lambda, and with it the trajectories, run away on cartpole-continuous
	// (violation stuck near 1), so the default is a small fixed 0.05, and
	// RhoGrowth defaults to 1 (fixed rho) for the same reason.
	DualStep float64
	// PolicyEpochs and Batch size the policy regression of each iteration
	// over the K N T samples, Adam its optimiser (its moments carry over),
	// LRFloor the cosine annealing of the learning rate within a step to
	// LRFloor Adam.LR.
	PolicyEpochs, Batch int
	Adam                nn.Adam
	LRFloor             float64
	// Workers process the conditions in parallel (0: GOMAXPROCS); results
	// do not depend on it.
	Workers int
	// Seed selects the conditions, the samples' noise, the mixture's
	// initialisation and the policy regression's minibatches.
	Seed uint64
}

// DefaultConfig returns the defaults (the cartpole-continuous settings of
// the package's experiments, with --horizon 100).
func DefaultConfig() Config {
	return Config{
		Conditions: 16, Samples: 5, InitStd: 0.5,
		KLStep: 0.2, MinStepMult: 0.1, MaxStepMult: 10,
		Clusters: 16, EMIters: 10, PriorStrength: 1, DynReg: 1e-8, GMMReg: 1e-6,
		FDStep: 1e-4, BoundPenalty: 10,
		Rho: 1, RhoGrowth: 1, RhoStall: 0.75, RhoMax: 1000, DualStep: 0.05,
		PolicyEpochs: 40, Batch: 256, Adam: nn.Adam{LR: 3e-3}, LRFloor: 0.01,
	}
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	pos := func(v float64) bool { return v > 0 && !math.IsInf(v, 0) }
	nonneg := func(v float64) bool { return v >= 0 && !math.IsInf(v, 0) }
	switch {
	case c.Conditions < 1 || c.Samples < 1 || c.Horizon < 0:
		return fmt.Errorf("lggps: conditions %d and samples %d must be >= 1 and horizon %d >= 0", c.Conditions, c.Samples, c.Horizon)
	case !pos(c.InitStd):
		return fmt.Errorf("lggps: init std must be positive, got %g", c.InitStd)
	case !pos(c.KLStep) || !pos(c.MinStepMult) || !(c.MaxStepMult >= c.MinStepMult) || math.IsInf(c.MaxStepMult, 0):
		return fmt.Errorf("lggps: KL step %g and min step mult %g must be positive, max step mult %g finite and >= min", c.KLStep, c.MinStepMult, c.MaxStepMult)
	case c.Clusters < 1 || c.EMIters < 0:
		return fmt.Errorf("lggps: clusters %d must be >= 1 and EM iterations %d >= 0", c.Clusters, c.EMIters)
	case !nonneg(c.PriorStrength) || !nonneg(c.DynReg) || !pos(c.GMMReg):
		return fmt.Errorf("lggps: prior strength %g and dynamics reg %g must be >= 0, GMM reg %g positive", c.PriorStrength, c.DynReg, c.GMMReg)
	case !pos(c.FDStep) || c.FDStep > 0.1:
		return fmt.Errorf("lggps: finite-difference step must be in (0, 0.1], got %g", c.FDStep)
	case !nonneg(c.BoundPenalty):
		return fmt.Errorf("lggps: bound penalty must be >= 0, got %g", c.BoundPenalty)
	case !pos(c.Rho) || !(c.RhoGrowth >= 1) || !pos(c.RhoStall) || !(c.RhoMax >= c.Rho) || math.IsInf(c.RhoMax, 0):
		return fmt.Errorf("lggps: rho %g must be positive, rho growth %g >= 1, rho stall %g positive and rho max %g finite and >= rho", c.Rho, c.RhoGrowth, c.RhoStall, c.RhoMax)
	case !nonneg(c.DualStep):
		return fmt.Errorf("lggps: dual step must be >= 0, got %g", c.DualStep)
	case c.PolicyEpochs < 1 || c.Batch < 1:
		return fmt.Errorf("lggps: policy epochs %d and batch %d must be >= 1", c.PolicyEpochs, c.Batch)
	case !pos(c.Adam.LR) || !(c.LRFloor > 0 && c.LRFloor <= 1):
		return fmt.Errorf("lggps: learning rate %g must be positive and its floor %g in (0, 1]", c.Adam.LR, c.LRFloor)
	case c.Workers < 0:
		return fmt.Errorf("lggps: workers must be >= 0, got %d", c.Workers)
	}
	return nil
}
