package dynaq

import (
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
)

// Tests on the Dyna maze of Sutton & Barto Example 8.1 (optimal path 14
// steps). All are deterministic: fixed seeds, and RunMany is independent of
// the number of workers.

func makeMaze() (envs.Env, error) { return envs.NewMaze(), nil }

// TestMazePlanningSpeedsLearning: total steps over the first 10 episodes,
// averaged over 10 runs, order as in Figure 8.2: n=50 < n=5 < n=0.
func TestMazePlanningSpeedsLearning(t *testing.T) {
	curves, err := RunMany(makeMaze, []int{0, 5, 50}, 10, config.With(DefaultConfig(), func(c *Config) {
		c.Episodes = 10
	}), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	total := map[int]float64{}
	for n, c := range curves {
		for _, s := range c {
			total[n] += s
		}
	}
	t.Logf("mean total steps of episodes 1-10: n=0 %.0f, n=5 %.0f, n=50 %.0f", total[0], total[5], total[50])
	if !(total[50] < total[5] && total[5] < total[0]) {
		t.Errorf("want n=50 < n=5 < n=0, got %v", total)
	}
}

// TestMazeFirstEpisodeIsRandomWalk: Q stays 0 until the goal is first
// reached, so with ties broken at random the first episode is a uniform
// random walk, whose expected length from S to G is 868.7 steps (solved
// from the hitting-time equations of the maze). Planning uses its own
// stream, so the first episode is identical for every n. Over 400 runs the
// standard error of the mean is about 45 steps; the tolerance is 150.
func TestMazeFirstEpisodeIsRandomWalk(t *testing.T) {
	curves, err := RunMany(makeMaze, []int{0, 5}, 400, config.With(DefaultConfig(), func(c *Config) {
		c.Episodes = 1
	}), 9, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("mean first episode over 400 runs: %.1f steps (expected 868.7)", curves[0][0])
	if math.Abs(curves[0][0]-868.7) > 150 {
		t.Errorf("mean first episode %.1f steps, want 868.7 +- 150", curves[0][0])
	}
	if curves[5][0] != curves[0][0] {
		t.Errorf("first episode differs with planning: n=5 %.1f, n=0 %.1f", curves[5][0], curves[0][0])
	}
}

// TestMazeGreedyPathOptimal: after 50 episodes with n = 50 the greedy policy
// takes the 14-step shortest path (below the wall at column 2) in most runs.
// It is not guaranteed: Q starts at 0 and rewards are positive, so an action
// never tried looks worse than any tried one, and a run that first learns
// the 16-step route above the wall may keep it (7 of 30 runs with seed 1),
// epsilon-greedy exploration being too rare to try the missing action. So:
// every greedy path is one of the two routes, and at least 8 of 10 fixed
// runs (9 with seed 1) take the optimal one.
func TestMazeGreedyPathOptimal(t *testing.T) {
	optimal := 0
	for run := range 10 {
		env := envs.NewMaze()
		res, err := Run(env, config.With(DefaultConfig(), func(c *Config) {
			c.PlanningSteps = 50
		}), rand.New(rand.NewPCG(1, uint64(run))), nil)
		if err != nil {
			t.Fatal(err)
		}
		length, err := GreedyPath(env, res.Q, newRand(0), 0)
		if err != nil || (length != 14 && length != 16) {
			t.Errorf("run %d: greedy path %d steps (%v), want 14 (or 16)", run, length, err)
		}
		if length == 14 {
			optimal++
		}
	}
	t.Logf("greedy path of 14 steps in %d of 10 runs", optimal)
	if optimal < 8 {
		t.Errorf("greedy path of 14 steps in %d of 10 runs, want at least 8", optimal)
	}
}

// TestMazeLastEpisodes: with n = 50 the last 10 of 50 episodes, still
// epsilon-greedy, average close to the optimum: exploration with epsilon
// 0.1 costs about 2 steps per 14 (each non-greedy move, probability 0.075,
// is usually undone by the next), and some runs keep the 16-step route.
func TestMazeLastEpisodes(t *testing.T) {
	curves, err := RunMany(makeMaze, []int{50}, 10, DefaultConfig(), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	last := 0.0
	for _, s := range curves[50][40:] {
		last += s / 10
	}
	t.Logf("n=50: mean steps of episodes 41-50 over 10 runs: %.2f", last)
	if last < 14 || last > 17.5 {
		t.Errorf("mean steps of the last 10 episodes %.2f, want in [14, 17.5]", last)
	}
}

// TestDeterminism: the same seed gives identical results, another seed
// different ones.
func TestDeterminism(t *testing.T) {
	run := func(seed uint64) Result {
		res, err := Run(envs.NewMaze(), config.With(DefaultConfig(), func(c *Config) {
			c.PlanningSteps = 5
			c.Episodes = 10
		}), rand.New(rand.NewPCG(seed, 3)), nil)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b, c := run(1), run(1), run(2)
	if !reflect.DeepEqual(a, b) {
		t.Error("same seed, different results")
	}
	if reflect.DeepEqual(a.StepsPerEpisode, c.StepsPerEpisode) {
		t.Error("different seeds, identical steps")
	}
}

// TestRunManyWorkers: the output does not depend on the number of workers,
// and run r of RunMany is Run with stream (seed, r).
func TestRunManyWorkers(t *testing.T) {
	cfg := config.With(DefaultConfig(), func(c *Config) {
		c.Episodes = 8
	})
	var first map[int][]float64
	for _, workers := range []int{1, 2, 3, 16} {
		got, err := RunMany(makeMaze, []int{0, 5}, 6, cfg, 42, workers)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = got
			continue
		}
		if !reflect.DeepEqual(got, first) {
			t.Errorf("workers=%d: %v, workers=1: %v", workers, got, first)
		}
	}
	one, err := RunMany(makeMaze, []int{5}, 1, cfg, 42, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg.PlanningSteps = 5
	res, err := Run(envs.NewMaze(), cfg, rand.New(rand.NewPCG(42, 0)), nil)
	if err != nil {
		t.Fatal(err)
	}
	for ep, s := range res.StepsPerEpisode {
		if one[5][ep] != float64(s) {
			t.Fatalf("RunMany run 0 episode %d: %g steps, Run: %d", ep, one[5][ep], s)
		}
	}
}

// TestFigure82 logs the figures of the book's Figure 8.2 (30 runs); run
// with DYNAQ_FIGURES=1 go test -run Figure82 -v ./trainers/dynaq/.
func TestFigure82(t *testing.T) {
	if os.Getenv("DYNAQ_FIGURES") == "" {
		t.Skip("set DYNAQ_FIGURES=1 to print the Figure 8.2 numbers")
	}
	curves, err := RunMany(makeMaze, []int{0, 5, 50}, 30, DefaultConfig(), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 5, 50} {
		c := curves[n]
		t.Logf("n=%-2d  ep1 %7.1f  ep2 %6.1f  ep3 %6.1f  ep5 %6.1f  ep10 %6.1f  ep25 %6.1f  ep50 %6.1f",
			n, c[0], c[1], c[2], c[4], c[9], c[24], c[49])
	}
}

func BenchmarkRunMaze(b *testing.B) {
	for b.Loop() {
		if _, err := Run(envs.NewMaze(), config.With(DefaultConfig(), func(c *Config) {
			c.PlanningSteps = 50
		}), newRand(1), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRunManyStatsStandardError: the standard errors are those of the
// runs' step counts (checked against the runs done one by one), zero for
// a single run, and the means equal RunMany's.
func TestRunManyStatsStandardError(t *testing.T) {
	cfg := config.With(DefaultConfig(), func(c *Config) { c.Episodes = 3 })
	means, sems, err := RunManyStats(makeMaze, []int{5}, 4, cfg, 42, 2)
	if err != nil {
		t.Fatal(err)
	}
	var per [][]int
	for r := range 4 {
		s, err := runJob(makeMaze, cfg, 5, 42, r)
		if err != nil {
			t.Fatal(err)
		}
		per = append(per, s)
	}
	for ep := range 3 {
		var m, v float64
		for _, s := range per {
			m += float64(s[ep]) / 4
		}
		for _, s := range per {
			v += (float64(s[ep]) - m) * (float64(s[ep]) - m) / 3
		}
		if math.Abs(means[5][ep]-m) > 1e-9 || math.Abs(sems[5][ep]-math.Sqrt(v/4)) > 1e-9 {
			t.Fatalf("episode %d: mean %v sem %v, want %v %v", ep, means[5][ep], sems[5][ep], m, math.Sqrt(v/4))
		}
	}
	_, one, err := RunManyStats(makeMaze, []int{5}, 1, cfg, 42, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range one[5] {
		if v != 0 {
			t.Fatalf("single run: standard error %v, want 0", v)
		}
	}
}
