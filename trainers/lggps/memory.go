package lggps

import (
	"runtime"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
)

// Memory estimates what c allocates on env with a policy of the hidden
// widths: the Samples trajectories of every condition (about six copies
// of their states and actions: samples, regression rows, the split), per
// condition and time step the fitted dynamics, the controller and the
// LQG matrices (about 8 (n+m)^2 floats), the mixture prior's Clusters
// components, the policy with its gradient, Adam moments and clones, and
// the model initialisation's data and model.
func (c Config) Memory(env envs.Env, hidden []int) config.Memory {
	m := config.Memory{Pkg: "lggps"}
	obs, act := env.ObservationSpace().Dim(), env.ActionSpace().Dim()
	n := float64(env.StateDim() + act)
	t := float64(c.Horizon)
	if t == 0 {
		t = float64(max(env.MaxSteps(), 1))
	}
	k, h := config.Factor{Field: "Conditions", N: float64(c.Conditions)}, config.Factor{Field: "Horizon", N: t}
	m.Product(8*(float64(obs+act)+n)*6, k, h, config.Factor{Field: "Samples", N: float64(c.Samples)})
	m.Product(8*n*n*8, k, h)
	m.Floats("Clusters", float64(c.Clusters), (n+float64(env.StateDim()))*(n+float64(env.StateDim()))*4)
	if mi := c.ModelInit; mi.Episodes > 0 {
		// The random episodes' transitions (about four copies: the data and
		// the fitter's inputs and targets) and the model with its Adam state.
		steps := float64(mi.Steps)
		if steps == 0 {
			steps = t
		}
		m.Floats("ModelInit.Episodes", float64(mi.Episodes), steps*(n+float64(env.StateDim()))*4)
		m.Floats("ModelInit.Hidden", config.MLPParams(env.StateDim()+act, mi.Hidden, env.StateDim()), 4)
	}
	workers := c.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	p := config.MLPParams(obs, hidden, act)
	m.Floats("Hidden", p, float64(8+workers))
	m.Product(8*8, config.Factor{Field: "Batch", N: float64(c.Batch)}, config.Factor{Field: "Hidden", N: config.MLPWidths(hidden, act) + float64(obs)})
	return m
}
