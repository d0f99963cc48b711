package dynaq

import (
	"runtime"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
)

// Memory estimates what RunFigure allocates for values planning-step
// counts, runs runs and workers workers on env: the steps of every
// episode of every run (kept for the averages), and per worker the Q
// table and the model of every state-action pair.
func (cfg Config) Memory(env envs.Env, values, runs, workers int) config.Memory {
	m := config.Memory{Pkg: "dynaq"}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	m.Product(8*1.5*float64(values), config.Factor{Field: "Runs", N: float64(runs)}, config.Factor{Field: "Episodes", N: float64(cfg.Episodes)})
	sa := float64(env.ObservationSpace().N) * float64(env.ActionSpace().N)
	m.Floats("Runs", float64(min(workers, max(runs, 1))), sa, 3)
	return m
}
