package mpc

import (
	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/model"
)

// Memory estimates what iters iterations of c on env allocate: the data
// (RandomSteps plus EpisodesPerIter episodes per iteration, stored like
// model.Config.Memory's samples), the model (model.FitConfig.Memory) and
// the planners of the episode workers (plans, CEM samples and ensemble
// members times the horizon, with the Jacobians iLQR keeps per step).
func (c Config) Memory(env envs.Env, iters int) config.Memory {
	m := config.Memory{Pkg: "mpc"}
	obs, act := env.ObservationSpace().Dim(), env.ActionSpace().Dim()
	steps := float64(model.EpisodeCap(env, c.EpisodeSteps))
	row := float64(2*obs+act)*10 + float64(c.Fit.Ensemble)
	m.Floats("RandomSteps", float64(c.RandomSteps), row)
	m.Product(8*steps*row, config.Factor{Field: "EpisodesPerIter", N: float64(c.EpisodesPerIter)}, config.Factor{Field: "Iters", N: float64(max(iters, 0))})
	m.Merge(c.Fit.Memory(obs, act).As("mpc"))
	h := float64(max(c.Planner.Horizon, 50))
	n := float64(obs + act)
	plans := float64(max(c.Planner.Plans, 1))
	e := config.Factor{Field: "Fit.Ensemble", N: float64(max(c.Fit.Ensemble, 1))}
	m.Product(8*n*n*4, config.Factor{Field: "Planner.Plans", N: plans}, config.Factor{Field: "Planner.Horizon", N: h}, e)
	m.Product(8*n*2, config.Factor{Field: "Planner.Samples", N: float64(c.Planner.Samples)}, config.Factor{Field: "Planner.Horizon", N: h}, e)
	m.Floats("Planner.Horizon", h, n*n*4)
	return m
}
