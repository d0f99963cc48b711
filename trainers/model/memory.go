package model

import (
	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
)

// Memory estimates what fitting the model of c on env allocates: the
// collected transitions (about ten copies of their floats: the episodes,
// the dataset, its normalised inputs and targets, the split), the
// members' bootstrap indices and the networks (FitConfig.Memory).
// Measured on pendulum with 2,000,000 samples and hidden 8: 1.15 GB
// resident at peak; the estimate says 1.14 GB.
func (c Config) Memory(env envs.Env) config.Memory {
	m := config.Memory{Pkg: "model"}
	n := float64(c.Samples)
	if n == 0 {
		n = 100 * float64(EpisodeCap(env, c.EpisodeSteps))
	}
	obs, act := env.ObservationSpace().Dim(), env.ActionSpace().Dim()
	m.Floats("Samples", n, float64(2*obs+act)*10)
	m.Product(8, config.Factor{Field: "Samples", N: n}, config.Factor{Field: "Fit.Ensemble", N: float64(c.Fit.Ensemble)})
	m.Merge(c.Fit.Memory(obs, act))
	return m
}

// Memory estimates what the networks of a fit on observations of obsDim
// and actions of actDim allocate: every member's weights with their
// gradients, Adam moments and graph copies, and the activations of a
// minibatch.
func (c FitConfig) Memory(obsDim, actDim int) config.Memory {
	m := config.Memory{Pkg: "model"}
	p := config.MLPParams(obsDim+actDim, c.Hidden, obsDim)
	e := float64(max(c.Ensemble, 1))
	m.Product(8*8, config.Factor{Field: "Fit.Hidden", N: p}, config.Factor{Field: "Fit.Ensemble", N: e})
	m.Product(8*8, config.Factor{Field: "Fit.Batch", N: float64(c.Batch)}, config.Factor{Field: "Fit.Ensemble", N: e},
		config.Factor{Field: "Fit.Hidden", N: config.MLPWidths(c.Hidden, obsDim) + float64(obsDim+actDim)})
	return m
}
