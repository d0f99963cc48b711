package common

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"sync"

	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/parallel"
)

// EvalConfig controls Evaluate. Zero values mean: 10 episodes, seed 0, one
// worker per CPU.
type EvalConfig struct {
	Episodes int
	// Seed selects the start states: episode i resets with the stream
	// rand.NewPCG(Seed, evalStream+i), so the same seed gives the same
	// starts for every policy, whatever the number of workers.
	Seed    uint64
	Workers int
	// MaxSteps caps episodes of envs without a limit (0 = none).
	MaxSteps int
}

// EvalResult holds per-episode returns and their summary statistics.
type EvalResult struct {
	Episodes int       `json:"episodes"`
	Mean     float64   `json:"mean_return"`
	Std      float64   `json:"std_return"`
	Min      float64   `json:"min_return"`
	Max      float64   `json:"max_return"`
	Median   float64   `json:"median_return"`
	Returns  []float64 `json:"-"`
	Steps    []int     `json:"-"`
}

// evalStream offsets evaluation streams from training streams.
const evalStream = 1 << 40

// Evaluate runs cfg.Episodes episodes in parallel. makeEnv and makePolicy are
// called once per worker, so neither needs to be safe for concurrent use.
func Evaluate(makeEnv func() (envs.Env, error), makePolicy func() (Policy, error), cfg EvalConfig) (EvalResult, error) {
	n := cfg.Episodes
	if n <= 0 {
		n = 10
	}
	returns := make([]float64, n)
	steps := make([]int, n)
	type worker struct {
		env envs.Env
		pol Policy
	}
	var (
		mu   sync.Mutex
		made []envs.Env
	)
	defer func() { // workers' envs that hold resources (a bridge process) end here
		for _, e := range made {
			_ = envs.Close(e)
		}
	}()
	newWorker := func() (worker, error) {
		env, err := makeEnv()
		if err != nil {
			return worker{}, err
		}
		mu.Lock()
		made = append(made, env)
		mu.Unlock()
		pol, err := makePolicy()
		return worker{env, pol}, err
	}
	err := parallel.Run(context.Background(), n, cfg.Workers, newWorker, func(w worker, i int) error {
		rng := rand.New(rand.NewPCG(cfg.Seed, evalStream+uint64(i)))
		ep, err := Rollout(w.env, w.pol, rng, RolloutConfig{MaxSteps: cfg.MaxSteps})
		returns[i], steps[i] = ep.Return, ep.Steps
		return err
	})
	if err != nil {
		return EvalResult{}, fmt.Errorf("evaluate: %w", err)
	}
	return Summarise(returns, steps), nil
}

// Summarise computes the statistics of a set of episode returns.
func Summarise(returns []float64, steps []int) EvalResult {
	r := EvalResult{Episodes: len(returns), Returns: returns, Steps: steps}
	if len(returns) == 0 {
		return r
	}
	r.Min, r.Max = math.Inf(1), math.Inf(-1)
	for _, v := range returns {
		r.Mean += v
		r.Min = math.Min(r.Min, v)
		r.Max = math.Max(r.Max, v)
	}
	r.Mean /= float64(len(returns))
	for _, v := range returns {
		r.Std += (v - r.Mean) * (v - r.Mean)
	}
	r.Std = math.Sqrt(r.Std / float64(len(returns)))
	s := append([]float64(nil), returns...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		r.Median = s[len(s)/2]
	} else {
		r.Median = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return r
}
