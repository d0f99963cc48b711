package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/control/dp"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
)

// controllerNames are the optimal controllers on an env's true dynamics that
// "--controller" / "--policy" / "--expert" accept.
var controllerNames = []string{"lqr", "ilqr", "mpc", "dp"}

// controllerOptions configure the controllers of controllerFactory. Zero
// values mean the defaults documented on the flags.
type controllerOptions struct {
	Plans   int // MPC candidate plans: 1 = one smooth warm-started plan
	Horizon int // MPC planning horizon (0: 20 for one plan, 50 for a population)
	Iters   int // iLQR iterations per MPC step (0: 2 for one plan, 3 for a population)
}

func (o *controllerOptions) addFlags(fs *flag.FlagSet, defaultPlans int) {
	fs.IntVar(&o.Plans, "plans", defaultPlans, "MPC candidate plans: 1 = a single smooth warm-started plan (fast; the better expert to imitate), >1 = a population (shifted previous plans plus fresh ones), the first action of the cheapest is applied")
	fs.IntVar(&o.Horizon, "mpc-horizon", 0, "MPC planning horizon (0: 20 with one plan, 50 with a population)")
	fs.IntVar(&o.Iters, "mpc-iters", 0, "iLQR iterations per MPC step (0: 2 with one plan, 3 with a population)")
}

// isController reports whether name is one of controllerNames.
func isController(name string) bool {
	for _, c := range controllerNames {
		if c == name {
			return true
		}
	}
	return false
}

// controllerFactory returns a constructor of the named controller (lqr,
// ilqr, mpc or the grid DP optimum on env's true dynamics) as a policy on
// observations; each call makes an independent instance for one goroutine.
// Discrete-action envs (cartpole) map the continuous force to the discrete
// action: push right (1) when the force is positive.
func (a *app) controllerFactory(name string, env envs.Env, o controllerOptions) (func() (common.Policy, error), error) {
	dyn, ok := envs.DynamicsOf(env)
	if !ok {
		return nil, usagef("mbrl: %s has no known dynamics, so the %s controller cannot run on it (envs with known dynamics: see 'mbrl envs')", env.Name(), name)
	}
	discrete := env.ActionSpace().Discrete
	wrap := func(p common.Policy) common.Policy {
		if discrete {
			return &forceToDiscrete{inner: p, u: make([]float64, dyn.ActionDim())}
		}
		return p
	}
	n, m := dyn.StateDim(), dyn.ActionDim()
	switch name {
	case "lqr":
		p := control.Linearize(dyn, dyn, make([]float64, n), make([]float64, m))
		sol, err := p.SolveInfinite()
		if err != nil {
			return nil, fmt.Errorf("mbrl: LQR on %s: %w", env.Name(), err)
		}
		low, high := dyn.ActionBounds()
		return func() (common.Policy, error) {
			x := make([]float64, n)
			return wrap(common.PolicyFunc(func(dst, obs []float64) {
				dyn.StateFromObs(x, obs)
				sol.Act(dst, x)
				clipTo(dst, low, high)
			})), nil
		}, nil
	case "ilqr":
		H := env.MaxSteps()
		if H <= 0 {
			return nil, usagef("mbrl: the ilqr controller needs an env with an episode limit")
		}
		low, high := dyn.ActionBounds()
		return func() (common.Policy, error) {
			s, err := control.NewILQR(dyn, dyn, H, &control.ILQRSettings{Low: low, High: high})
			if err != nil {
				return nil, err
			}
			p := &ilqrPolicy{solver: s, dyn: dyn, x: make([]float64, n), low: low, high: high}
			if env.Name() == "pendulum" {
				// From u = 0 iLQR stays in the local optimum of hanging
				// down; start it from the energy-shaping swing-up instead.
				p.init, p.ctx = control.PendulumSwingUp(), &control.PlanContext{Model: dyn, Low: low, High: high}
				p.u = make([][]float64, H)
				for t := range p.u {
					p.u[t] = make([]float64, m)
				}
			}
			return wrap(p), nil
		}, nil
	case "mpc":
		low, high := dyn.ActionBounds()
		s := &control.MPCSettings{Plans: o.Plans, Horizon: o.Horizon, Iters: o.Iters, Low: low, High: high}
		if o.Plans > 1 && env.Name() == "pendulum" {
			s.Fresh = []control.Generator{control.ZeroPlan{}, control.RandomPlan{Hold: 5},
				control.BangBang{}, control.BangBang{}, control.PendulumSwingUp()}
		}
		base, err := control.NewMPC(dyn, dyn, s)
		if err != nil {
			return nil, usagef("mbrl: MPC: %v", err)
		}
		proto := base.ObsPolicy(dyn)
		return func() (common.Policy, error) { return wrap(proto.Clone()), nil }, nil
	case "dp":
		sol, err := dp.SolveEnv(env, dp.DefaultConfig())
		if err != nil {
			return nil, asUsage(fmt.Errorf("mbrl: %w", err))
		}
		return func() (common.Policy, error) { return sol.NewPolicy(), nil }, nil
	}
	return nil, usagef("mbrl: unknown controller %q (valid: %s)", name, strings.Join(controllerNames, ", "))
}

func clipTo(u, low, high []float64) {
	for i := range u {
		if low != nil {
			u[i] = math.Max(u[i], low[i])
		}
		if high != nil {
			u[i] = math.Min(u[i], high[i])
		}
	}
}

// ilqrPolicy plans once per episode with iLQR over the whole episode from
// the first state it sees, then follows the plan with its feedback gains:
// u_t = U_t + K_t (x_t - X_t).
type ilqrPolicy struct {
	solver    *control.ILQR
	dyn       envs.Dynamics
	ctrl      *control.LinearGaussianController
	x         []float64
	low, high []float64
	t         int
	// init, if set, proposes the initial controls u from the first state.
	init control.Generator
	ctx  *control.PlanContext
	u    [][]float64
	plan [][]float64 // planned states X_t
}

// Reset starts a new episode: the next Act plans again.
func (p *ilqrPolicy) Reset(*rand.Rand) { p.ctrl, p.t = nil, 0 }

func (p *ilqrPolicy) Act(dst, obs []float64) {
	p.dyn.StateFromObs(p.x, obs)
	if p.ctrl == nil {
		var u0 [][]float64
		if p.init != nil {
			p.init.Generate(p.u, p.x, p.ctx)
			u0 = p.u
		}
		sol, err := p.solver.Solve(p.x, u0)
		if err != nil && sol == nil {
			clear(dst)
			return
		}
		p.ctrl = sol.Controller()
		p.plan = sol.X
	}
	if p.init != nil && p.t < len(p.plan) {
		// Pendulum: the observation gives the angle in (-pi, pi]; express it
		// on the plan's branch so the feedback sees the true deviation.
		p.x[0] = p.plan[p.t][0] + envs.AngleNormalize(p.x[0]-p.plan[p.t][0])
	}
	p.ctrl.Mean(dst, p.t, p.x)
	clipTo(dst, p.low, p.high)
	p.t++
}

// forceToDiscrete maps a continuous force policy to CartPole's two actions.
type forceToDiscrete struct {
	inner common.Policy
	u     []float64
}

func (f *forceToDiscrete) Act(dst, obs []float64) {
	f.inner.Act(f.u, obs)
	if f.u[0] > 0 {
		dst[0] = 1
	} else {
		dst[0] = 0
	}
}

// Reset forwards episode resets to the inner policy.
func (f *forceToDiscrete) Reset(rng *rand.Rand) {
	if r, ok := f.inner.(common.Resetter); ok {
		r.Reset(rng)
	}
}
