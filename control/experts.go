package control

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mbrl/mbrl/control/dp"
	"github.com/mbrl/mbrl/envs"
)

// ExpertNames are the optimal controllers on an env's true dynamics that
// NewExpert builds.
var ExpertNames = []string{"lqr", "ilqr", "mpc", "dp"}

// IsExpert reports whether name is one of ExpertNames.
func IsExpert(name string) bool {
	for _, n := range ExpertNames {
		if n == name {
			return true
		}
	}
	return false
}

// ObsPolicy acts on an environment's observations: Act writes the action
// for obs into dst. It has the form of trainers/common.Policy; the experts
// also implement its Resetter (Reset(*rand.Rand) before each episode).
type ObsPolicy interface {
	Act(dst, obs []float64)
}

// ExpertSettings configure the mpc expert (the others have none). Zero
// values are MPCSettings' defaults.
type ExpertSettings struct {
	Plans   int // candidate plans P: 1 keeps one warm-started plan
	Horizon int // planning horizon
	Iters   int // iLQR iterations per step
}

// NewExpert returns a constructor of the named expert on env's true
// dynamics as a policy on observations; each call makes an independent
// instance for one goroutine:
//
//   - lqr: the infinite-horizon LQR of the dynamics linearised at x = 0,
//     u = 0, clipped to the action bounds;
//   - ilqr: one iLQR plan over the whole episode from the first state,
//     followed with its feedback gains u_t = U_t + K_t (x_t - X_t), started
//     from the env's hinted initial plan (envs.PlanningHints) if it has one;
//   - mpc: receding-horizon iLQR (MPC), with a population of plans when
//     s.Plans > 1 (FreshGenerators);
//   - dp: the greedy policy of finite-horizon dynamic programming on a
//     state grid (control/dp, default grid), for 2-D-state envs.
//
// On discrete-action envs (cartpole) the continuous force is mapped to
// the discrete action: push right (1) when the force is positive.
func NewExpert(name string, env envs.Env, s ExpertSettings) (func() (ObsPolicy, error), error) {
	if !IsExpert(name) {
		return nil, fmt.Errorf("control: unknown controller %q (valid: lqr, ilqr, mpc, dp)", name)
	}
	dyn, ok := envs.DynamicsOf(env)
	if !ok {
		return nil, fmt.Errorf("control: %s has no known dynamics, so the %s controller cannot run on it", env.Name(), name)
	}
	mk, err := newStateExpert(name, env, dyn, s)
	if err != nil {
		return nil, err
	}
	if !env.ActionSpace().Discrete {
		return mk, nil
	}
	return func() (ObsPolicy, error) {
		p, err := mk()
		if err != nil {
			return nil, err
		}
		return &ForceToDiscrete{Inner: p, u: make([]float64, dyn.ActionDim())}, nil
	}, nil
}

func newStateExpert(name string, env envs.Env, dyn envs.Dynamics, s ExpertSettings) (func() (ObsPolicy, error), error) {
	n, m := dyn.StateDim(), dyn.ActionDim()
	low, high := dyn.ActionBounds()
	switch name {
	case "dp":
		sol, err := dp.SolveEnv(env, dp.DefaultConfig())
		if err != nil {
			return nil, fmt.Errorf("control: %w", err)
		}
		return func() (ObsPolicy, error) { return sol.NewPolicy(), nil }, nil
	case "lqr":
		sol, err := Linearize(dyn, dyn, make([]float64, n), make([]float64, m)).SolveInfinite()
		if err != nil {
			return nil, fmt.Errorf("control: LQR on %s: %w", env.Name(), err)
		}
		return func() (ObsPolicy, error) {
			x := make([]float64, n)
			return policyFunc(func(dst, obs []float64) {
				dyn.StateFromObs(x, obs)
				sol.Act(dst, x)
				clipTo(dst, low, high)
			}), nil
		}, nil
	case "ilqr":
		H := env.MaxSteps()
		if H <= 0 {
			return nil, errors.New("control: the ilqr expert needs an env with an episode limit")
		}
		hints := envs.DynamicsHints(dyn)
		return func() (ObsPolicy, error) {
			solver, err := NewILQR(dyn, dyn, H, &ILQRSettings{Low: low, High: high})
			if err != nil {
				return nil, err
			}
			p := &ilqrExpert{solver: solver, dyn: dyn, x: make([]float64, n), low: low, high: high, angles: hints.AngleDims}
			if hints.InitialPolicy != nil {
				p.init, p.ctx = FeedbackPlan{Policy: hints.InitialPolicy}, &PlanContext{Model: dyn, Low: low, High: high}
				p.u = make([][]float64, H)
				for t := range p.u {
					p.u[t] = make([]float64, m)
				}
			}
			return p, nil
		}, nil
	}
	ms := &MPCSettings{Plans: s.Plans, Horizon: s.Horizon, Iters: s.Iters, Low: low, High: high,
		Fresh: FreshGenerators(dyn, s.Plans)}
	base, err := NewMPC(dyn, dyn, ms)
	if err != nil {
		return nil, err
	}
	proto := base.ObsPolicy(dyn)
	return func() (ObsPolicy, error) { return proto.Clone(), nil }, nil
}

type policyFunc func(dst, obs []float64)

func (f policyFunc) Act(dst, obs []float64) { f(dst, obs) }

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

// ilqrExpert plans once per episode with iLQR over the whole episode from
// the first state it sees, then follows the plan with its feedback gains.
type ilqrExpert struct {
	solver    *ILQR
	dyn       envs.Dynamics
	ctrl      *LinearGaussianController
	x         []float64
	low, high []float64
	angles    []int
	t         int
	// init, if set, proposes the initial controls u from the first state.
	init Generator
	ctx  *PlanContext
	u    [][]float64
	plan [][]float64 // planned states X_t
}

// Reset starts a new episode: the next Act plans again.
func (p *ilqrExpert) Reset(*rand.Rand) { p.ctrl, p.t = nil, 0 }

// Act follows the episode's plan, planning it at the first step.
func (p *ilqrExpert) Act(dst, obs []float64) {
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
		// An angle the observation gives in (-pi, pi] is expressed on the
		// plan's branch so the feedback sees the true deviation.
		for _, i := range p.angles {
			p.x[i] = p.plan[p.t][i] + envs.AngleNormalize(p.x[i]-p.plan[p.t][i])
		}
	}
	p.ctrl.Mean(dst, p.t, p.x)
	clipTo(dst, p.low, p.high)
	p.t++
}

// ForceToDiscrete maps a continuous force policy to a two-action discrete
// space (CartPole): action 1 (push right) when the force is positive,
// else 0.
type ForceToDiscrete struct {
	Inner ObsPolicy
	u     []float64
}

// Act writes the discrete action for obs.
func (f *ForceToDiscrete) Act(dst, obs []float64) {
	if f.u == nil {
		f.u = make([]float64, 1)
	}
	f.Inner.Act(f.u, obs)
	if f.u[0] > 0 {
		dst[0] = 1
	} else {
		dst[0] = 0
	}
}

// Reset forwards episode resets to the inner policy.
func (f *ForceToDiscrete) Reset(rng *rand.Rand) {
	if r, ok := f.Inner.(interface{ Reset(*rand.Rand) }); ok {
		r.Reset(rng)
	}
}
