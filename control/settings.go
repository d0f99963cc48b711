package control

import (
	"math"
	"math/rand/v2"

	"github.com/mbrl/mbrl/config"
)

// This file holds the defaults and the validation of the planners'
// settings, in one place: a zero field means its default.

// DefaultILQRSettings returns what the zero fields of ILQRSettings mean: at
// most 100 iterations, relative cost tolerance 1e-7, gradient tolerance
// 1e-4, mu in [1e-6, 1e10] with factor 2, line-search steps
// 10^linspace(0, -3, 11), no bounds.
func DefaultILQRSettings() ILQRSettings {
	var s ILQRSettings
	s.fill()
	return s
}

func (s *ILQRSettings) fill() {
	if s.MaxIter == 0 {
		s.MaxIter = 100
	}
	if s.RelTol == 0 {
		s.RelTol = 1e-7
	}
	if s.GradTol == 0 {
		s.GradTol = 1e-4
	}
	if s.MuMin == 0 {
		s.MuMin = 1e-6
	}
	if s.MuMax == 0 {
		s.MuMax = 1e10
	}
	if s.Delta0 == 0 {
		s.Delta0 = 2
	}
	if len(s.Alphas) == 0 {
		s.Alphas = make([]float64, 11)
		for i := range s.Alphas {
			s.Alphas[i] = math.Pow(10, -3*float64(i)/10)
		}
	}
}

// Validate returns a *config.Error naming the first field out of range (0
// is valid everywhere: the default).
func (s ILQRSettings) Validate() error {
	v := config.Checker{Pkg: "control"}
	s.check(&v, "")
	return v.Err()
}

func (s ILQRSettings) check(v *config.Checker, prefix string) {
	v.AtLeast(prefix+"MaxIter", s.MaxIter, 0)
	v.NonNegative(prefix+"RelTol", s.RelTol)
	v.NonNegative(prefix+"GradTol", s.GradTol)
	v.NonNegative(prefix+"Mu0", s.Mu0)
	v.NonNegative(prefix+"MuMin", s.MuMin)
	v.NonNegative(prefix+"MuMax", s.MuMax)
	v.Check(s.Delta0 == 0 || (s.Delta0 > 1 && !math.IsInf(s.Delta0, 0)), prefix+"Delta0", "must be 0 (default 2) or a finite factor > 1, got %v", s.Delta0)
	for _, a := range s.Alphas {
		v.Check(a > 0 && a <= 1, prefix+"Alphas", "must be step sizes in (0, 1], got %v", s.Alphas)
	}
}

// DefaultCEMSettings returns what the zero fields of CEMSettings mean:
// H = 20, N = 100 samples, K = 10 elites, 4 iterations, smoothing 0.1,
// initial deviation 0.5, the stream PCG(1, 0), no bounds.
func DefaultCEMSettings() CEMSettings {
	var s CEMSettings
	s.fill()
	return s
}

func (s *CEMSettings) fill() {
	if s.Horizon == 0 {
		s.Horizon = 20
	}
	if s.Samples == 0 {
		s.Samples = 100
	}
	if s.Elites == 0 {
		s.Elites = max(s.Samples/10, 2)
	}
	if s.Iters == 0 {
		s.Iters = 4
	}
	if s.Alpha == 0 {
		s.Alpha = 0.1
	}
	if s.InitStd == 0 {
		s.InitStd = 0.5
	}
	if s.Rng == nil {
		s.Rng = rand.New(rand.NewPCG(1, 0))
	}
}

// Validate returns a *config.Error naming the first field out of range (0
// is valid everywhere: the default).
func (s CEMSettings) Validate() error {
	v := config.Checker{Pkg: "control"}
	v.AtLeast("Horizon", s.Horizon, 0)
	v.AtLeast("Samples", s.Samples, 0)
	v.AtLeast("Elites", s.Elites, 0)
	v.AtLeast("Iters", s.Iters, 0)
	v.Check(s.Alpha >= 0 && s.Alpha < 1, "Alpha", "must be in [0, 1), got %v", s.Alpha)
	v.NonNegative("InitStd", s.InitStd)
	return v.Err()
}

// fill resolves the zero fields of MPCSettings: one plan, H = 20 and 2
// iLQR iterations for it, H = 50 and 3 iterations for a population.
func (s *MPCSettings) fill() {
	if s.Plans == 0 {
		s.Plans = 1
	}
	if s.Horizon == 0 {
		s.Horizon = 20
		if s.Plans > 1 {
			s.Horizon = 50
		}
	}
	if s.Iters == 0 {
		s.Iters = 2
		if s.Plans > 1 {
			s.Iters = 3
		}
	}
}

// Validate returns a *config.Error naming the first field out of range (0
// is valid for Plans, Horizon and Iters: their defaults, which depend on
// Plans).
func (s MPCSettings) Validate() error {
	v := config.Checker{Pkg: "control"}
	v.AtLeast("Plans", s.Plans, 0)
	v.AtLeast("Horizon", s.Horizon, 0)
	v.AtLeast("Iters", s.Iters, 0)
	s.ILQR.check(&v, "ILQR.")
	return v.Err()
}

// Validate returns a *config.Error naming the first field of s out of
// range: Plans >= 1 (1: one warm-started plan; NewExpert reads 0 as 1,
// but a user who asks for no plan made a mistake), Horizon and Iters >= 0
// (0: their defaults, which depend on Plans).
func (s ExpertSettings) Validate() error {
	v := config.Checker{Pkg: "control"}
	v.AtLeast("Plans", s.Plans, 1)
	v.AtLeast("Horizon", s.Horizon, 0)
	v.AtLeast("Iters", s.Iters, 0)
	return v.Err()
}
