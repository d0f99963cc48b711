package dynaq

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/parallel"
)

// RunMany is the experiment of Figure 8.2: for each number of planning steps
// n in planningSteps it does `runs` independent runs of Run (cfg with
// PlanningSteps set to n) and returns, keyed by n, the mean number of steps
// of each episode over the runs ([cfg.Episodes] per n).
//
// Run r uses the stream rand.New(rand.NewPCG(seed, uint64(r))) whatever n
// is, so the curves for different n share their random numbers as far as
// their trajectories agree. runs = 0 means 30 (the book's number); workers
// <= 0 means one per CPU. Runs execute on up to `workers` goroutines, each
// with its own environment from makeEnv; since every run has a fixed stream
// and its result is stored by run index, the output does not depend on
// workers. If a run fails, the later ones are skipped and the error of the
// lowest failing run is returned (parallel.For).
func RunMany(makeEnv func() (envs.Env, error), planningSteps []int, runs int, cfg Config, seed uint64, workers int) (map[int][]float64, error) {
	means, _, err := RunManyStats(makeEnv, planningSteps, runs, cfg, seed, workers)
	return means, err
}

// RunManyStats is RunMany that also returns, for every n and episode, the
// standard error of the mean over the runs (the sample standard deviation
// over sqrt(runs); 0 for a single run), for the figure's confidence
// bands.
func RunManyStats(makeEnv func() (envs.Env, error), planningSteps []int, runs int, cfg Config, seed uint64, workers int) (map[int][]float64, map[int][]float64, error) {
	if makeEnv == nil {
		return nil, nil, errors.New("dynaq: nil makeEnv")
	}
	if len(planningSteps) == 0 {
		return nil, nil, errors.New("dynaq: no planning-steps values")
	}
	if runs == 0 {
		runs = DefaultRuns
	}
	if runs < 0 {
		return nil, nil, fmt.Errorf("dynaq: runs %d is negative", runs)
	}
	seen := make(map[int]bool, len(planningSteps))
	for _, n := range planningSteps {
		if seen[n] {
			return nil, nil, fmt.Errorf("dynaq: planning steps %d given twice", n)
		}
		seen[n] = true
		c := cfg
		c.PlanningSteps = n
		if err := c.Validate(); err != nil {
			return nil, nil, err
		}
	}
	// One job per (n, run); results are stored by job index.
	numJobs := len(planningSteps) * runs
	steps := make([][]int, numJobs)
	err := parallel.For(context.Background(), numJobs, workers, func(j int) error {
		var err error
		steps[j], err = runJob(makeEnv, cfg, planningSteps[j/runs], seed, j%runs)
		return err
	})
	if err != nil {
		return nil, nil, err
	}

	// Average over runs, summing in run order so the result is exact and
	// independent of scheduling.
	means := make(map[int][]float64, len(planningSteps))
	sems := make(map[int][]float64, len(planningSteps))
	for k, n := range planningSteps {
		episodes := len(steps[k*runs])
		mean := make([]float64, episodes)
		for r := range runs {
			for ep, s := range steps[k*runs+r] {
				mean[ep] += float64(s)
			}
		}
		for ep := range mean {
			mean[ep] /= float64(runs)
		}
		sem := make([]float64, episodes)
		if runs > 1 {
			for r := range runs {
				for ep, s := range steps[k*runs+r] {
					d := float64(s) - mean[ep]
					sem[ep] += d * d
				}
			}
			for ep := range sem {
				sem[ep] = math.Sqrt(sem[ep]/float64(runs-1)) / math.Sqrt(float64(runs))
			}
		}
		means[n], sems[n] = mean, sem
	}
	return means, sems, nil
}

// runJob does run number run with n planning steps on a fresh environment.
func runJob(makeEnv func() (envs.Env, error), cfg Config, n int, seed uint64, run int) ([]int, error) {
	env, err := makeEnv()
	if err != nil {
		return nil, fmt.Errorf("dynaq: making the environment: %w", err)
	}
	cfg.PlanningSteps = n
	res, err := Run(env, cfg, rand.New(rand.NewPCG(seed, uint64(run))), nil)
	if err != nil {
		return nil, fmt.Errorf("dynaq: n = %d, run %d: %w", n, run, err)
	}
	return res.StepsPerEpisode, nil
}

// ErrNoGoal is returned by GreedyPath when the greedy policy does not end
// the episode within the step limit (typically it walks in a loop through
// states whose Q values are still tied).
var ErrNoGoal = errors.New("dynaq: the greedy policy does not reach a terminal state")

// GreedyPath follows the greedy policy argmax_a Q(s, a) from a start state
// (env.Reset(rng)) until the episode terminates, and returns the number of
// steps taken: 14 for the optimal policy of the Dyna maze. q is
// [states*actions] as in Result.Q. Ties are broken towards the lowest action
// index, so the path is deterministic for a deterministic environment.
//
// maxSteps bounds the walk; 0 means the number of states, which is enough
// for a deterministic environment (a longer greedy walk revisits a state and
// loops forever). If the walk hits maxSteps or the environment truncates
// the episode, GreedyPath returns the steps taken and an error wrapping
// ErrNoGoal.
func GreedyPath(env envs.Env, q []float64, rng *rand.Rand, maxSteps int) (int, error) {
	numStates, numActions, err := tableSize(env)
	if err != nil {
		return 0, err
	}
	if len(q) != numStates*numActions {
		return 0, fmt.Errorf("dynaq: Q has %d values, %s needs %d states x %d actions", len(q), env.Name(), numStates, numActions)
	}
	if rng == nil {
		return 0, errors.New("dynaq: nil rng")
	}
	if maxSteps < 0 {
		return 0, fmt.Errorf("dynaq: maxSteps %d is negative", maxSteps)
	}
	if maxSteps == 0 {
		maxSteps = numStates
	}
	s, err := stateOf(env.Reset(rng), numStates)
	if err != nil {
		return 0, err
	}
	action := []float64{0}
	for steps := 1; steps <= maxSteps; steps++ {
		row := q[s*numActions : (s+1)*numActions]
		best := 0
		for a, v := range row {
			if v > row[best] {
				best = a
			}
		}
		action[0] = float64(best)
		obs, _, terminated, truncated := env.Step(action)
		if terminated {
			return steps, nil
		}
		if truncated {
			return steps, fmt.Errorf("%w: %s truncated the episode after %d steps", ErrNoGoal, env.Name(), steps)
		}
		if s, err = stateOf(obs, numStates); err != nil {
			return steps, err
		}
	}
	return maxSteps, fmt.Errorf("%w within %d steps", ErrNoGoal, maxSteps)
}
