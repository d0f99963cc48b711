package dyna

import (
	"fmt"

	"github.com/mbrl/mbrl/envs"
)

// Actions is the finite action set a Q-network chooses from: the actions of
// a discrete environment, or a grid over a continuous action box (Bins
// evenly spaced values per dimension, from Low to High inclusive, all
// combinations; the first dimension varies slowest).
//
// Besides the action the environment's Step takes, it defines the encoding
// of an action for the learned models: the one-hot vector [N] for a discrete
// environment, the continuous action for a discretised one.
type Actions struct {
	space envs.Space
	bins  int
	n     int
	grid  []float64 // [n, dim] continuous actions (discretised spaces only)
}

// NewActions returns the action set of space: its N actions when it is
// discrete (bins is ignored), otherwise bins^dim grid points, bins >= 2,
// over a box with finite bounds.
func NewActions(space envs.Space, bins int) (*Actions, error) {
	if space.Discrete {
		if space.N < 1 {
			return nil, fmt.Errorf("dyna: discrete action space with %d actions", space.N)
		}
		return &Actions{space: space, n: space.N}, nil
	}
	dim := space.Dim()
	if dim == 0 {
		return nil, fmt.Errorf("dyna: empty action space")
	}
	if bins < 2 {
		return nil, fmt.Errorf("dyna: %d action bins for the continuous actions %s; use at least 2", bins, space)
	}
	n := 1
	for range dim {
		if n > 4096/bins {
			return nil, fmt.Errorf("dyna: %d bins over %d action dimensions is more than 4096 discrete actions; use fewer bins", bins, dim)
		}
		n *= bins
	}
	for i := range dim {
		lo, hi := space.Low[i], space.High[i]
		if !(lo < hi) || hi-lo > 1e300 || lo < -1e300 || hi > 1e300 { // also rejects NaN and Inf
			return nil, fmt.Errorf("dyna: cannot discretise action dimension %d with bounds [%g, %g]: it needs finite bounds", i, lo, hi)
		}
	}
	a := &Actions{space: space, bins: bins, n: n, grid: make([]float64, n*dim)}
	for k := range n {
		rest := k
		for i := dim - 1; i >= 0; i-- {
			j := rest % bins
			rest /= bins
			lo, hi := space.Low[i], space.High[i]
			a.grid[k*dim+i] = lo + (hi-lo)*float64(j)/float64(bins-1)
		}
	}
	return a, nil
}

// N is the number of actions.
func (a *Actions) N() int { return a.n }

// Discretised reports whether the set is a grid over a continuous space.
func (a *Actions) Discretised() bool { return !a.space.Discrete }

// EnvDim is the length of the action Step takes.
func (a *Actions) EnvDim() int { return a.space.Dim() }

// EnvAction writes the environment action of action k into dst [EnvDim].
func (a *Actions) EnvAction(dst []float64, k int) {
	if a.space.Discrete {
		dst[0] = float64(k)
		return
	}
	d := a.space.Dim()
	copy(dst[:d], a.grid[k*d:(k+1)*d])
}

// ModelDim is the width of the models' action input: N (one-hot) for a
// discrete environment, EnvDim for a discretised one.
func (a *Actions) ModelDim() int {
	if a.space.Discrete {
		return a.n
	}
	return a.space.Dim()
}

// ModelInput writes the models' encoding of action k into dst [ModelDim].
func (a *Actions) ModelInput(dst []float64, k int) {
	if a.space.Discrete {
		clear(dst[:a.n])
		dst[k] = 1
		return
	}
	a.EnvAction(dst, k)
}
