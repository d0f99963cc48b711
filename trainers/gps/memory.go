package gps

import (
	"runtime"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
)

// Memory estimates what c allocates on env with a policy of the hidden
// widths: per condition and time step the trajectory, its iLQR matrices
// and dual variables (about 8 (n+m)^2 floats for state size n and action
// size m), the regression dataset (one row per condition and step, plus
// FeedbackSamples rows, about six copies), and the policy with its
// gradient, Adam moments and evaluation clones.
func (c Config) Memory(env envs.Env, hidden []int) config.Memory {
	m := config.Memory{Pkg: "gps"}
	obs, act := env.ObservationSpace().Dim(), env.ActionSpace().Dim()
	n := float64(env.StateDim() + act)
	t := float64(c.Horizon)
	if t == 0 {
		t = float64(max(env.MaxSteps(), 1))
	}
	k, h := config.Factor{Field: "Conditions", N: float64(c.Conditions)}, config.Factor{Field: "Horizon", N: t}
	m.Product(8*n*n*8, k, h)
	m.Product(8*float64(obs+act)*6, k, h, config.Factor{Field: "FeedbackSamples", N: float64(1 + c.FeedbackSamples)})
	workers := c.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	p := config.MLPParams(obs, hidden, act)
	m.Floats("Hidden", p, float64(8+workers))
	m.Product(8*8, config.Factor{Field: "Batch", N: float64(c.Batch)}, config.Factor{Field: "Hidden", N: config.MLPWidths(hidden, act) + float64(obs)})
	return m
}
