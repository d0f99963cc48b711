package bptt

import (
	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/model"
)

// Memory estimates what training a policy with the hidden widths on env
// allocates, at its peak: 64 floats per weight of the policy (the weights,
// gradient and Adam moments, each shard's step-graph buffers, and the
// checkpoint written after every iteration, whose trainer state holds the
// moments as JSON text, with its copies and the garbage collector's
// headroom), and the activations the forward sweep keeps for every step
// of the longest horizon for Batch start states, twice (the collector's
// headroom). Measured on pendulum, batch 64, peak resident size against
// the estimate: hidden 500,500 at H=25 144 MB (156 MB); 1000,1000 at
// H=25 / 50 / 100 559 / 565 / 686 MB (567 / 619 / 722 MB); 2000,2000 at
// H=25 1.72 GB (2.16 GB). A term is charged to the largest of the sizes
// it multiplies.
func (c Config) Memory(env envs.Env, hidden []int) config.Memory {
	m := config.Memory{Pkg: "bptt"}
	obs, act := env.ObservationSpace().Dim(), env.ActionSpace().Dim()
	h := float64(c.Horizon)
	for _, s := range c.Schedule {
		h = max(h, float64(s.Horizon))
	}
	p := config.MLPParams(obs, hidden, act)
	m.Floats("Hidden", p, 64)
	m.Product(8*2, config.Factor{Field: "Batch", N: float64(c.Batch)}, config.Factor{Field: "Horizon", N: h},
		config.Factor{Field: "Hidden", N: config.MLPWidths(hidden, act) + float64(obs+env.StateDim()+act)*4})
	return m
}

// StudyMemory estimates what Study allocates for starts start states, the
// longest of horizons and a policy with the hidden widths on env: as
// Memory with one start state per batch row.
func StudyMemory(env envs.Env, hidden []int, starts int, horizons []int) config.Memory {
	c := Config{Batch: starts}
	for _, h := range horizons {
		c.Horizon = max(c.Horizon, h)
	}
	return c.Memory(env, hidden)
}

// Memory estimates what a LearnTrainer allocates on env with a policy of
// the hidden widths: BPTT's graph and rollouts (Config.Memory), the
// model's fit (model.FitConfig.Memory) and the real data of the whole run
// (RandomSteps, then Episodes episodes every RefitEvery iterations).
func (c LearnConfig) Memory(env envs.Env, hidden []int) config.Memory {
	m := c.BPTT.Memory(env, hidden)
	obs, act := env.ObservationSpace().Dim(), env.ActionSpace().Dim()
	m.Merge(c.Fit.Memory(obs, act).As("bptt"))
	// The backward sweep reads the model's activations of every step, kept
	// by the forward sweep (Engine.ActivationSize: 8800 floats per step at
	// batch 32 with a 64,64 model on pendulum, against 4576 for the true
	// dynamics, which Config.Memory covers).
	h := float64(c.BPTT.Horizon)
	for _, s := range c.BPTT.Schedule {
		h = max(h, float64(s.Horizon))
	}
	m.Product(8*2, config.Factor{Field: "Batch", N: float64(c.BPTT.Batch)}, config.Factor{Field: "Horizon", N: h},
		config.Factor{Field: "Fit.Hidden", N: config.MLPWidths(c.Fit.Hidden, obs)})
	row := float64(2*obs+act) * 10
	m.Floats("RandomSteps", float64(c.RandomSteps), row)
	rounds := float64(c.BPTT.Iters/max(c.RefitEvery, 1) + 1)
	steps := float64(model.EpisodeCap(env, c.EpisodeSteps))
	m.Product(8*steps*row, config.Factor{Field: "Episodes", N: float64(c.Episodes)}, config.Factor{Field: "Iters", N: rounds})
	return m
}
