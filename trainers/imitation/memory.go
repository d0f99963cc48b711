package imitation

import (
	"runtime"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
)

// Memory estimates what c allocates on env: the aggregated dataset after
// Iters iterations of EpisodesPerIter episodes (observation and action
// per step, about six copies: the dataset, normalised inputs, the split,
// the minibatches), the learner's weights with their gradient, Adam
// moments and one clone per worker, and the activations of a minibatch.
// extra is the number of further datasets of that size (1 for DAgger's
// behaviour-cloning comparison).
func (c Config) Memory(env envs.Env, extra int) config.Memory {
	m := config.Memory{Pkg: "imitation"}
	obs, act := env.ObservationSpace().Dim(), env.ActionSpace().Dim()
	steps := env.MaxSteps()
	if steps <= 0 {
		steps = c.MaxSteps
	}
	m.Product(8*float64(steps)*float64(obs+act)*6*float64(1+max(extra, 0)),
		config.Factor{Field: "Iters", N: float64(c.Iters)}, config.Factor{Field: "EpisodesPerIter", N: float64(c.EpisodesPerIter)})
	workers := c.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	p := config.MLPParams(obs, c.Hidden, act)
	m.Floats("Hidden", p, float64(8+workers), float64(1+max(extra, 0)))
	m.Product(8*8, config.Factor{Field: "Fit.Batch", N: float64(c.Fit.Batch)}, config.Factor{Field: "Hidden", N: config.MLPWidths(c.Hidden, act) + float64(obs)})
	return m
}
