package control

import (
	"math"
	"math/rand/v2"

	"github.com/mbrl/mbrl/envs"
)

// PlanContext is what a Generator may use: the model, the control bounds
// (nil for unbounded), the MPC's random stream and scratch state vectors.
type PlanContext struct {
	Model     Model
	Low, High []float64
	Rng       *rand.Rand

	x, xn []float64 // scratch states for rollouts
}

// clip clips u into the bounds in place.
func (c *PlanContext) clip(u []float64) {
	if c.Low == nil {
		return
	}
	for i, v := range u {
		u[i] = math.Min(math.Max(v, c.Low[i]), c.High[i])
	}
}

// Generator proposes a fresh candidate plan for population MPC: it writes
// controls u [H][m] for a plan starting at state x. Generators are shared by
// clones of an MPC and must not keep mutable state.
type Generator interface {
	Generate(u [][]float64, x []float64, ctx *PlanContext)
}

// GeneratorFunc adapts a function to Generator.
type GeneratorFunc func(u [][]float64, x []float64, ctx *PlanContext)

// Generate calls f.
func (f GeneratorFunc) Generate(u [][]float64, x []float64, ctx *PlanContext) { f(u, x, ctx) }

// ZeroPlan proposes u = 0 (clipped into the bounds).
type ZeroPlan struct{}

// Generate writes zeros.
func (ZeroPlan) Generate(u [][]float64, _ []float64, ctx *PlanContext) {
	for _, ut := range u {
		clear(ut)
		ctx.clip(ut)
	}
}

// RandomPlan proposes controls drawn uniformly in the bounds, held for Hold
// steps at a time (default 1); unbounded dimensions are drawn from
// N(0, Scale^2) (Scale default 1).
type RandomPlan struct {
	Hold  int
	Scale float64
}

// Generate draws the plan.
func (g RandomPlan) Generate(u [][]float64, _ []float64, ctx *PlanContext) {
	hold := max(g.Hold, 1)
	scale := g.Scale
	if scale == 0 {
		scale = 1
	}
	for t, ut := range u {
		if t%hold != 0 {
			copy(ut, u[t-1])
			continue
		}
		for i := range ut {
			if ctx.Low == nil || math.IsInf(ctx.Low[i], 0) || math.IsInf(ctx.High[i], 0) {
				ut[i] = scale * ctx.Rng.NormFloat64()
			} else {
				ut[i] = ctx.Low[i] + (ctx.High[i]-ctx.Low[i])*ctx.Rng.Float64()
			}
		}
	}
}

// BangBang proposes a pumping plan: every action dimension alternates
// between its bounds (or +-Scale if unbounded, default 1), switching every
// half-period steps with a half-period drawn uniformly from
// [MinHalf, MaxHalf] (defaults 5 and 15) and a random initial sign and
// phase.
type BangBang struct {
	MinHalf, MaxHalf int
	Scale            float64
}

// Generate draws the plan.
func (g BangBang) Generate(u [][]float64, _ []float64, ctx *PlanContext) {
	lo, hi := g.MinHalf, g.MaxHalf
	if lo <= 0 {
		lo = 5
	}
	if hi < lo {
		hi = max(lo, 15)
	}
	scale := g.Scale
	if scale == 0 {
		scale = 1
	}
	if len(u) == 0 {
		return
	}
	for i := range u[0] {
		half := lo + ctx.Rng.IntN(hi-lo+1)
		phase := ctx.Rng.IntN(half)
		sign := ctx.Rng.IntN(2) == 0
		for t, ut := range u {
			s := sign
			if ((t+phase)/half)%2 == 1 {
				s = !s
			}
			switch {
			case ctx.Low != nil && s && !math.IsInf(ctx.High[i], 0):
				ut[i] = ctx.High[i]
			case ctx.Low != nil && !s && !math.IsInf(ctx.Low[i], 0):
				ut[i] = ctx.Low[i]
			case s:
				ut[i] = scale
			default:
				ut[i] = -scale
			}
		}
	}
}

// FeedbackPlan proposes the controls of a state-feedback law rolled out
// through the model from x: u_t = clip(Policy(x_t)), x_{t+1} = f(x_t, u_t).
// Policy must be safe for concurrent use if the MPC is cloned.
type FeedbackPlan struct {
	Policy func(dst, x []float64)
}

// Generate rolls the policy out.
func (g FeedbackPlan) Generate(u [][]float64, x []float64, ctx *PlanContext) {
	n := ctx.Model.StateDim()
	if len(ctx.x) < n {
		ctx.x, ctx.xn = make([]float64, n), make([]float64, n)
	}
	cur, nxt := ctx.x[:n], ctx.xn[:n]
	copy(cur, x)
	for _, ut := range u {
		g.Policy(ut, cur)
		ctx.clip(ut)
		ctx.Model.Next(nxt, cur, ut)
		cur, nxt = nxt, cur
	}
}

// PendulumSwingUp returns the FeedbackPlan of the pendulum's energy-shaping
// swing-up (envs.PendulumSwingUp), the initial plan of its planning hints.
func PendulumSwingUp() Generator {
	return FeedbackPlan{Policy: envs.PendulumSwingUp}
}

// InitialPlans returns the initial-plan generators of a trajectory
// optimiser on dyn: ZeroPlan, then the rollout of dyn's hinted initial
// policy (envs.PlanningHints), if it has one.
func InitialPlans(dyn envs.Dynamics) []Generator {
	gens := []Generator{ZeroPlan{}}
	if h := envs.DynamicsHints(dyn); h.InitialPolicy != nil {
		gens = append(gens, FeedbackPlan{Policy: h.InitialPolicy})
	}
	return gens
}

// FreshGenerators returns the fresh-candidate generators of population
// MPC with the given number of plans on dyn: ZeroPlan, RandomPlan{Hold: 5}
// and two BangBang plans, then the rollout of dyn's hinted initial policy,
// as many as fit (fewer than plans); when not all fit, the hinted plan is
// kept first. One plan needs none (nil).
func FreshGenerators(dyn envs.Dynamics, plans int) []Generator {
	if plans <= 1 {
		return nil
	}
	gens := []Generator{ZeroPlan{}, RandomPlan{Hold: 5}, BangBang{}, BangBang{}}
	h := envs.DynamicsHints(dyn)
	if h.InitialPolicy == nil {
		return gens[:min(len(gens), plans-1)]
	}
	hint := FeedbackPlan{Policy: h.InitialPolicy}
	if plans-1 > len(gens) {
		return append(gens, hint)
	}
	return append(gens[:plans-2], hint)
}
