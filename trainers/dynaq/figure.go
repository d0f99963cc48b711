package dynaq

import (
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/run"
)

// Figure is the experiment of Sutton & Barto's Figure 8.2: the steps per
// episode averaged over Runs runs for each number of planning steps n,
// and the length of the greedy path after run 0.
type Figure struct {
	Env           string
	PlanningSteps []int
	Episodes      int
	Runs          int
	// Steps[n][ep] is the mean number of steps of episode ep with n
	// planning steps, and SEM[n][ep] its standard error over the runs.
	Steps, SEM map[int][]float64
	// Greedy[n] is the length of the greedy path from the start after run
	// 0 with n planning steps, or nil when the greedy policy loops.
	Greedy map[int]any
}

// RunFigure runs the experiment: RunMany over planningSteps (distinct,
// >= 0), then run 0 again for each n (its stream is rand.NewPCG(seed, 0)
// for every n, as in RunMany, so this repeats that run exactly) and its
// greedy path.
func RunFigure(makeEnv func() (envs.Env, error), planningSteps []int, runs int, cfg Config, seed uint64, workers int) (*Figure, error) {
	if err := CheckPlanningSteps(planningSteps); err != nil {
		return nil, err
	}
	env, err := makeEnv()
	if err != nil {
		return nil, err
	}
	curves, sems, err := RunManyStats(makeEnv, planningSteps, runs, cfg, seed, workers)
	if err != nil {
		return nil, err
	}
	f := &Figure{Env: env.Name(), PlanningSteps: planningSteps, Episodes: cfg.Episodes, Runs: runs, Steps: curves, SEM: sems, Greedy: map[int]any{}}
	for _, n := range planningSteps {
		c := cfg
		c.PlanningSteps = n
		res, err := Run(env, c, rand.New(rand.NewPCG(seed, 0)), nil)
		if err != nil {
			return nil, err
		}
		f.Greedy[n] = nil // the greedy policy loops: no path yet
		if length, err := GreedyPath(env, res.Q, rand.New(rand.NewPCG(seed, 1)), 0); err == nil {
			f.Greedy[n] = length
		}
	}
	return f, nil
}

// CheckPlanningSteps checks the numbers of planning steps of a figure: at
// least one, each >= 0 and none twice.
func CheckPlanningSteps(ns []int) error {
	if len(ns) == 0 {
		return fmt.Errorf("dynaq: the figure needs at least one number of planning steps, e.g. 0,5,50")
	}
	seen := map[int]bool{}
	for _, n := range ns {
		if n < 0 || seen[n] {
			return fmt.Errorf("dynaq: planning steps must be >= 0, none given twice, got %v", ns)
		}
		seen[n] = true
	}
	return nil
}

// WriteFiles writes steps_per_episode.csv (WriteCSV) and, for more than
// one episode, steps_per_episode.png (Plot) into dir and returns their
// paths ("" for a plot not drawn).
func (f *Figure) WriteFiles(dir string) (csvPath, pngPath string, err error) {
	csvPath, pngPath = filepath.Join(dir, "steps_per_episode.csv"), filepath.Join(dir, "steps_per_episode.png")
	if err := f.WriteCSV(csvPath); err != nil {
		return "", "", err
	}
	ok, err := f.Plot(pngPath)
	if !ok {
		pngPath = ""
	}
	return csvPath, pngPath, err
}

// WriteCSV writes the curves to path: the episode, then the mean steps
// for each n (columns steps_nN).
func (f *Figure) WriteCSV(path string) error {
	var b strings.Builder
	b.WriteString("episode")
	for _, n := range f.PlanningSteps {
		fmt.Fprintf(&b, ",steps_n%d", n)
	}
	b.WriteByte('\n')
	for ep := range f.Episodes {
		fmt.Fprintf(&b, "%d", ep+1)
		for _, n := range f.PlanningSteps {
			fmt.Fprintf(&b, ",%s", strconv.FormatFloat(f.Steps[n][ep], 'g', -1, 64))
		}
		b.WriteByte('\n')
	}
	return checkpoints.WriteFileAtomic(path, []byte(b.String()))
}

// Plot draws Figure 8.2 into the PNG at path: steps per episode against
// episodes 2..E (the first episode, a random walk of the same length for
// every n, is left out as in the book). It reports false, writing
// nothing, for a single episode.
func (f *Figure) Plot(path string) (bool, error) {
	if f.Episodes <= 1 {
		return false, nil
	}
	var ss []run.Series
	for _, n := range f.PlanningSteps {
		s := run.Series{Name: fmt.Sprintf("%d planning steps", n)}
		if n == 0 {
			s.Name = "0 planning steps (direct RL only)"
		}
		for ep := 1; ep < f.Episodes; ep++ {
			m := f.Steps[n][ep]
			s.X = append(s.X, float64(ep+1))
			s.Y = append(s.Y, m)
			if f.SEM != nil && f.Runs > 1 {
				s.Lo, s.Hi = append(s.Lo, m-1.96*f.SEM[n][ep]), append(s.Hi, m+1.96*f.SEM[n][ep])
			}
		}
		ss = append(ss, s)
	}
	fig := &run.Figure{
		Title:  fmt.Sprintf("Dyna-Q on %s: steps per episode, mean of %d runs (Sutton & Barto Figure 8.2)", f.Env, f.Runs),
		XLabel: "episode",
		Caption: fmt.Sprintf("Each point: number of steps from start to goal in that episode, mean over %d independent runs "+
			"for each number n of planning steps per real step; band: 95%% confidence interval of the mean (±1.96 standard errors over the runs). "+
			"Episode 1 (a random walk, the same for every n) is left out, as in the book.", f.Runs),
		Panels: []run.Panel{{YLabel: "steps per episode", Series: ss}},
	}
	return true, run.SaveFigure(path, fig)
}

// Summary returns the figure's fields for a run summary: planning_steps,
// episodes, runs, steps_per_episode and greedy_path_length (keyed by n).
func (f *Figure) Summary() map[string]any {
	steps, greedy := map[string][]float64{}, map[string]any{}
	for _, n := range f.PlanningSteps {
		steps[strconv.Itoa(n)], greedy[strconv.Itoa(n)] = f.Steps[n], f.Greedy[n]
	}
	return map[string]any{"planning_steps": f.PlanningSteps, "episodes": f.Episodes, "runs": f.Runs,
		"steps_per_episode": steps, "greedy_path_length": greedy}
}

// WriteText writes one line per n to w: the steps of episode 2, the mean
// over the last 10 episodes and the greedy path length after run 0.
func (f *Figure) WriteText(w io.Writer) {
	for _, n := range f.PlanningSteps {
		c := f.Steps[n]
		last := c[max(0, len(c)-10):]
		var m float64
		for _, v := range last {
			m += v
		}
		fmt.Fprintf(w, "  n=%-3d steps in episode 2: %.1f, mean over the last %d episodes: %.1f, greedy path after run 0: %v\n",
			n, c[min(1, len(c)-1)], len(last), m/float64(len(last)), f.Greedy[n])
	}
}
