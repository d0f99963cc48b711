package dyna

import (
	"math"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
)

// Memory estimates what c allocates on env: the real and the simulated
// replay buffers (observation, next observation, action, reward and done
// per transition, with slice overhead), the Q-network and its target over
// the discretised actions (ActionBins per action dimension), the Ensemble
// dynamics models and the reward model, each with its gradient, Adam
// moments and the activations of a minibatch.
func (c Config) Memory(env envs.Env) config.Memory {
	m := config.Memory{Pkg: "dyna"}
	as := env.ActionSpace()
	obs, act := env.ObservationSpace().Dim(), as.Dim()
	nA := float64(as.N)
	if !as.Discrete {
		nA = math.Pow(float64(c.ActionBins), float64(act))
	}
	row := float64(2*obs+act+2) + 12 // values plus slice headers
	m.Floats("BufferSize", float64(c.BufferSize), row)
	m.Floats("ModelBufferSize", float64(c.ModelBufferSize), row)
	q := config.MLPParams(obs, c.Hidden, int(min(nA, math.MaxInt32)))
	if nA > math.MaxInt32 {
		q = math.Inf(1)
	}
	field := "Hidden"
	if nA > config.MLPWidths(c.Hidden, 0) {
		field = "ActionBins"
	}
	m.Floats(field, q, 10)
	m.Product(8*16, config.Factor{Field: "Batch", N: float64(c.Batch)}, config.Factor{Field: field, N: config.MLPWidths(c.Hidden, int(min(nA, math.MaxInt32))) + float64(obs)})
	p := config.MLPParams(obs+act, c.ModelHidden, obs) + config.MLPParams(obs+act, c.ModelHidden, 1)
	e := config.Factor{Field: "Ensemble", N: float64(max(c.Ensemble, 1))}
	m.Product(8*8, config.Factor{Field: "ModelHidden", N: p}, e)
	m.Product(8*8, config.Factor{Field: "ModelBatch", N: float64(c.ModelBatch)}, config.Factor{Field: "ModelHidden", N: config.MLPWidths(c.ModelHidden, obs) + float64(obs+act)}, e)
	return m
}
