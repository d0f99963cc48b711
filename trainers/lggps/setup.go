package lggps

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/gps"
	runs "github.com/mbrl/mbrl/trainers/run"
)

// NewPolicy returns a fresh policy mean for env: gps.NewPolicy's policy,
// with an observation normaliser (fitted by the Trainer to the first
// samples) when the actions are bounded.
func NewPolicy(env envs.Env, hidden []int, rng *rand.Rand) (gps.Policy, error) {
	as := env.ActionSpace()
	for i := range as.Low {
		if math.IsInf(as.Low[i], 0) || math.IsInf(as.High[i], 0) {
			return gps.NewPolicy(env, hidden, rng)
		}
	}
	return nn.NewDeterministicPolicy("policy", nn.PolicyArch{
		ObsDim: env.ObservationSpace().Dim(), ActDim: as.Dim(), Hidden: hidden, Activation: nn.Tanh,
		Low: as.Low, High: as.High, ObsNorm: true,
	}, rng)
}

// HintedInit returns the initial feedback law env hints at
// (envs.PlanningHints.InitialPolicy: the pendulum's energy-shaping
// swing-up), for Config.Init, or an error when env has none.
func HintedInit(env envs.Env) (func(dst, x []float64), error) {
	law := envs.HintsOf(env).InitialPolicy
	if law == nil {
		return nil, fmt.Errorf("lggps: env %q hints at no initial feedback law (use zero controllers)", env.Name())
	}
	return law, nil
}

// Recorder is the runs.Recorder of a local-model GPS run: after every
// iteration it redraws cost.png (trajectory and policy cost), violation.png
// (|pi(x) - u|) and kl.png (the KL step per time step and its bound), log
// scale; at the end it adds the configuration, the real env steps and the
// first and last violations to the summary.
type Recorder struct {
	tr  *Trainer
	run *runs.Run
}

var (
	_ runs.Recorder   = (*Recorder)(nil)
	_ runs.Summarizer = (*Recorder)(nil)
)

// NewRecorder returns the recorder of tr's run.
func NewRecorder(tr *Trainer) *Recorder { return &Recorder{tr: tr} }

// Init remembers the run.
func (g *Recorder) Init(r *runs.Run) error {
	g.run = r
	return nil
}

// Record redraws the plots.
func (g *Recorder) Record(int, []common.Metric) error {
	K, env := g.tr.cfg.Conditions, g.run.Env
	for _, p := range []struct {
		file, title, caption string
		cols                 []string
	}{
		{"cost.png", "local-model GPS on " + env + ": cost per iteration",
			fmt.Sprintf("Cost of the linear-Gaussian trajectories and of the policy from the same %d starting conditions, mean over the conditions.", K),
			[]string{"traj_cost", "policy_cost"}},
		{"violation.png", "local-model GPS on " + env + ": constraint violation per iteration",
			fmt.Sprintf("Distance between the policy's action and the controllers' action on the sampled states, mean (and RMS) over %d conditions.", K),
			[]string{"violation", "violation_rms"}},
		{"kl.png", "local-model GPS on " + env + ": KL step per iteration",
			"KL divergence between successive trajectory distributions per time step, mean over the conditions, and the bound ε it is held to.",
			[]string{"kl_step", "epsilon"}},
	} {
		if err := runs.PlotHistory(g.run.Path(p.file), p.title, "iter", p.caption, p.cols, g.run.History); err != nil {
			return err
		}
	}
	return nil
}

// Summarize adds the configuration, the real env steps and the first and
// last costs, violations and KL steps to the summary.
func (g *Recorder) Summarize(r *runs.Run, sum runs.Summary) error {
	c := g.tr.cfg
	sum["conditions"], sum["samples"], sum["horizon"] = c.Conditions, c.Samples, g.tr.Horizon()
	sum["kl_step_bound"], sum["rho"], sum["env_steps"] = c.KLStep, c.Rho, g.tr.EnvSteps()
	if c.ModelInit.Episodes > 0 {
		sum["init_env_steps"] = g.tr.initSteps
	}
	for _, k := range []string{"traj_cost", "policy_cost", "violation", "kl_step", "epsilon"} {
		if v, ok := r.History.Latest(k); ok {
			sum[k] = v
		}
	}
	if len(r.History) > 0 {
		if v, ok := r.History[0]["violation"]; ok {
			sum["violation_first"] = v
		}
	}
	return nil
}
