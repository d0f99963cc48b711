package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/bptt"
	"github.com/mbrl/mbrl/trainers/common"
)

// gradnormOptions are the flags of "mbrl gradnorm".
type gradnormOptions struct {
	commonOptions
	Env          string
	TrueDynamics bool
	Model        string
	Policy       string
	Horizons     string
	Starts       int
	Hidden       []int
	CSV          string
	Plot         string
}

func (o *gradnormOptions) addFlags(fs *flag.FlagSet) {
	o.commonOptions.addFlags(fs, false)
	fs.StringVar(&o.Env, "env", "", "environment name (see 'mbrl envs')")
	fs.BoolVar(&o.TrueDynamics, "true-dynamics", false, "differentiate through the env's known dynamics")
	fs.StringVar(&o.Model, "model", "", "differentiate through the dynamics model \"dynamics\" of this checkpoint")
	fs.StringVar(&o.Policy, "policy", "", "checkpoint holding the policy \"policy\" (default: a fresh policy initialised from --seed)")
	fs.StringVar(&o.Horizons, "horizons", "1,2,5,10,20,50,100,200", "comma-separated horizons H")
	fs.IntVar(&o.Starts, "starts", 100, "start states drawn from the env's reset distribution (per-start gradient norms)")
	o.Hidden = []int{64, 64}
	fs.Var((*sizesValue)(&o.Hidden), "hidden", "hidden sizes of the fresh policy (without --policy)")
	fs.StringVar(&o.CSV, "csv", "", "write one row per horizon to this CSV file, and the per-step norms of the longest horizon to FILE_steps.csv")
	fs.StringVar(&o.Plot, "plot", "", "write a log-log PNG of the norms against the horizon (and FILE_steps.png of the per-step norms)")
}

func gradnormCommand() command {
	return command{
		name:    "gradnorm",
		summary: "gradient norm of the H-step cost w.r.t. the policy against the horizon, beside the growth the closed-loop Jacobians predict",
		usage:   "gradnorm --env E (--true-dynamics | --model CKPT) [--policy CKPT] --horizons 1,2,5,.. [--starts N] [--csv F] [--plot F.png]",
		flags: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			o := &gradnormOptions{}
			o.addFlags(fs)
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("mbrl gradnorm: unexpected argument %q", args[0])
				}
				return a.runGradnorm(ctx, o)
			}
		},
	}
}

// maxStudyHorizon bounds --horizons (memory is linear in H times starts).
const maxStudyHorizon = 100000

func parseHorizons(s string) ([]int, error) {
	hs, err := parseInts(s)
	if err != nil {
		return nil, usagef("mbrl gradnorm: --horizons: %v", err)
	}
	if len(hs) == 0 {
		return nil, usagef("mbrl gradnorm: --horizons is empty")
	}
	seen := map[int]bool{}
	for _, h := range hs {
		if h < 1 || h > maxStudyHorizon {
			return nil, usagef("mbrl gradnorm: --horizons: %d is outside 1..%d", h, maxStudyHorizon)
		}
		if seen[h] {
			return nil, usagef("mbrl gradnorm: --horizons: %d appears twice", h)
		}
		seen[h] = true
	}
	return hs, nil
}

func (a *app) runGradnorm(ctx context.Context, o *gradnormOptions) error {
	const cmd = "gradnorm"
	start := time.Now()
	hs, err := parseHorizons(o.Horizons)
	if err != nil {
		return err
	}
	if o.Starts < 1 {
		return usagef("mbrl %s: --starts must be at least 1, got %d", cmd, o.Starts)
	}
	env, sys, dynName, err := bpttSystem(cmd, o.Env, o.TrueDynamics, o.Model)
	if err != nil {
		return err
	}
	var pol bptt.Policy
	if o.Policy != "" {
		var m nn.Model
		if m, err = common.LoadModel(o.Policy, "policy", ""); err == nil {
			pol, err = bptt.PolicyOf(m, env.ObservationSpace().Dim(), env.ActionSpace().Dim())
		}
		if err != nil {
			return usagef("mbrl %s: --policy: %v", cmd, err)
		}
	} else if pol, err = bptt.NewPolicy(env, o.Hidden, rand.New(rand.NewPCG(o.Seed, 0))); err != nil {
		return asUsage(err)
	}
	x0 := bptt.DrawStarts(env, sys, o.Starts, rand.New(rand.NewPCG(o.Seed, bptt.StartStream)))
	res, err := bptt.Study(ctx, sys, pol, x0, hs)
	if err != nil {
		return fmt.Errorf("mbrl %s: %w", cmd, err)
	}
	if !o.JSON {
		printStudy(a, o, dynName, res)
	}
	if o.CSV != "" {
		if err := bptt.WriteStudyCSV(o.CSV, res); err != nil {
			return err
		}
	}
	if o.Plot != "" {
		if err := bptt.PlotStudy(o.Plot, o.Env, res); err != nil {
			return err
		}
	}
	return a.writeJSON(o.JSON, map[string]any{
		"command": "gradnorm", "env": o.Env, "dynamics": dynName, "policy": o.Policy, "seed": o.Seed,
		"starts": res.Starts, "params": res.Params, "horizons": res.Horizons,
		"cost":          finiteOrNull(res.Cost),
		"grad_norm":     finiteOrNull(res.GradNorm),
		"grad_norm_p10": finiteOrNull(res.P10), "grad_norm_p90": finiteOrNull(res.P90),
		"grad_norm_max":          finiteOrNull(res.Max),
		"batch_grad_norm":        finiteOrNull(res.BatchNorm),
		"predicted_growth":       finiteOrNull(res.Predicted),
		"predicted_growth_log10": finiteOrNull(res.PredictedLog10),
		"state_grad_norm":        finiteOrNull(res.StateGradNorm),
		"state_predicted_growth": finiteOrNull(res.StatePredicted),
		"csv":                    o.CSV, "plot": o.Plot,
		"wall_seconds": math.Round(time.Since(start).Seconds()*100) / 100,
	})
}

// finiteOrNull converts v for JSON, which has no NaN or Inf: those become
// null.
func finiteOrNull(v []float64) []any {
	out := make([]any, len(v))
	for i, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			out[i] = x
		}
	}
	return out
}

func printStudy(a *app, o *gradnormOptions, dyn string, r *bptt.StudyResult) {
	w := a.stdout
	fmt.Fprintf(w, "gradient of the H-step cost w.r.t. %d policy parameters, %s dynamics, %d starts on %s\n", r.Params, dyn, r.Starts, o.Env)
	fmt.Fprintf(w, "%6s %10s %11s %11s %11s %11s %11s %12s\n", "H", "cost", "|g| mean", "p10", "p90", "max", "|g| batch", "σmax(ΠM_t)")
	for i, h := range r.Horizons {
		pred := fmt.Sprintf("%.3g", r.Predicted[i])
		if math.IsInf(r.Predicted[i], 0) {
			pred = fmt.Sprintf("1e%.1f", r.PredictedLog10[i])
		}
		fmt.Fprintf(w, "%6d %10.4g %11.4g %11.4g %11.4g %11.4g %11.4g %12s\n", h, r.Cost[i], r.GradNorm[i], r.P10[i], r.P90[i], r.Max[i], r.BatchNorm[i], pred)
	}
	hmax := r.Horizons[len(r.Horizons)-1]
	fmt.Fprintf(w, "|dJ/dx_t| for H=%d (mean over starts) beside σmax(M_{H-1}···M_t):\n", hmax)
	for _, t := range stepSamples(hmax) {
		fmt.Fprintf(w, "  t=%-5d %11.4g %11.4g\n", t, r.StateGradNorm[t], r.StatePredicted[t])
	}
}

// stepSamples picks about a dozen steps of 0..h-1 to print.
func stepSamples(h int) []int {
	var ts []int
	for _, f := range []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1} {
		t := int(f * float64(h-1))
		if len(ts) == 0 || ts[len(ts)-1] != t {
			ts = append(ts, t)
		}
	}
	return ts
}
