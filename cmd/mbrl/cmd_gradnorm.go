package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/bptt"
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
	Hidden       string
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
	fs.StringVar(&o.Hidden, "hidden", "64,64", "hidden sizes of the fresh policy (without --policy)")
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

// loadPolicy reads the model "policy" of a checkpoint as a bptt.Policy.
func loadPolicy(cmd, path string, obsDim, actDim int) (bptt.Policy, error) {
	c, err := checkpoints.Load(path)
	if err != nil {
		return nil, usagef("mbrl %s: --policy: %v", cmd, err)
	}
	m, err := nn.LoadModel(c, "policy")
	if err != nil {
		return nil, usagef("mbrl %s: --policy %s: %v", cmd, path, err)
	}
	var p bptt.Policy
	switch q := m.(type) {
	case *nn.DeterministicPolicy:
		if q.ObsDim() != obsDim || q.ActDim() != actDim {
			return nil, usagef("mbrl %s: --policy %s maps %d observations to %d actions, the env has %d and %d", cmd, path, q.ObsDim(), q.ActDim(), obsDim, actDim)
		}
		p = q
	case *nn.MLP:
		if q.In() != obsDim || q.Out() != actDim {
			return nil, usagef("mbrl %s: --policy %s maps %d inputs to %d outputs, the env has %d and %d", cmd, path, q.In(), q.Out(), obsDim, actDim)
		}
		p = bptt.MLPPolicy{MLP: q}
	case *nn.GaussianPolicy:
		p = q.MeanPolicy()
	default:
		return nil, usagef("mbrl %s: --policy %s: model \"policy\" is a %s; need a deterministic, Gaussian (mean) or MLP policy", cmd, path, m.Kind())
	}
	return p, nil
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
	setup, err := makeBPTTSystem(cmd, o.Env, o.TrueDynamics, o.Model)
	if err != nil {
		return err
	}
	var pol bptt.Policy
	if o.Policy != "" {
		pol, err = loadPolicy(cmd, o.Policy, setup.env.ObservationSpace().Dim(), setup.env.ActionSpace().Dim())
	} else {
		var hidden []int
		if hidden, err = parseHidden(cmd, o.Hidden); err == nil {
			pol, err = newBPTTPolicy(setup.env, hidden, rand.New(rand.NewPCG(o.Seed, 0)))
		}
	}
	if err != nil {
		return asUsage(err)
	}
	x0 := bptt.DrawStarts(setup.env, setup.sys, o.Starts, rand.New(rand.NewPCG(o.Seed, bptt.StartStream)))
	res, err := bptt.Study(ctx, setup.sys, pol, x0, hs)
	if err != nil {
		return fmt.Errorf("mbrl %s: %w", cmd, err)
	}
	if !o.JSON {
		printStudy(a, o, setup.dynName, res)
	}
	if o.CSV != "" {
		if err := writeStudyCSV(o.CSV, res); err != nil {
			return err
		}
	}
	if o.Plot != "" {
		if err := plotStudy(o.Plot, o.Env, res); err != nil {
			return err
		}
	}
	return a.writeJSON(o.JSON, map[string]any{
		"command": "gradnorm", "env": o.Env, "dynamics": setup.dynName, "policy": o.Policy, "seed": o.Seed,
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

func fmtF(v float64) string { return strconv.FormatFloat(v, 'g', 10, 64) }

func writeStudyCSV(path string, r *bptt.StudyResult) error {
	var sb strings.Builder
	w := csv.NewWriter(&sb)
	_ = w.Write([]string{"horizon", "cost", "grad_norm", "grad_norm_p10", "grad_norm_p90", "grad_norm_max", "batch_grad_norm", "predicted_growth", "predicted_growth_log10"})
	for i, h := range r.Horizons {
		_ = w.Write([]string{strconv.Itoa(h), fmtF(r.Cost[i]), fmtF(r.GradNorm[i]), fmtF(r.P10[i]), fmtF(r.P90[i]), fmtF(r.Max[i]), fmtF(r.BatchNorm[i]), fmtF(r.Predicted[i]), fmtF(r.PredictedLog10[i])})
	}
	w.Flush()
	if err := writeFileAtomic(path, []byte(sb.String())); err != nil {
		return err
	}
	sb.Reset()
	w = csv.NewWriter(&sb)
	_ = w.Write([]string{"t", "state_grad_norm", "state_predicted_growth"})
	for t := range r.StateGradNorm {
		_ = w.Write([]string{strconv.Itoa(t), fmtF(r.StateGradNorm[t]), fmtF(r.StatePredicted[t])})
	}
	w.Flush()
	return writeFileAtomic(withSuffix(path, "_steps"), []byte(sb.String()))
}

// withSuffix inserts suffix before path's extension: a.csv -> a_steps.csv.
func withSuffix(path, suffix string) string {
	if i := strings.LastIndex(path, "."); i > strings.LastIndex(path, "/") {
		return path[:i] + suffix + path[i:]
	}
	return path + suffix
}

func plotStudy(path, env string, r *bptt.StudyResult) error {
	x := make([]float64, len(r.Horizons))
	for i, h := range r.Horizons {
		x[i] = float64(h)
	}
	err := savePlot(path, plotOptions{Title: "gradient norm vs horizon on " + env, XLabel: "horizon H", YLabel: "norm", LogX: true, LogY: true},
		series{Name: "|dJ/dθ| mean over starts", X: x, Y: r.GradNorm},
		series{Name: "p10", X: x, Y: r.P10},
		series{Name: "p90", X: x, Y: r.P90},
		series{Name: "σmax(Π closed-loop Jacobians)", X: x, Y: r.Predicted},
	)
	if err != nil {
		return err
	}
	ts := make([]float64, len(r.StateGradNorm))
	for t := range ts {
		ts[t] = float64(t)
	}
	return savePlot(withSuffix(path, "_steps"), plotOptions{Title: fmt.Sprintf("|dJ/dx_t| along H=%d on %s", len(ts), env), XLabel: "t", YLabel: "norm", LogY: true},
		series{Name: "|dJ/dx_t|", X: ts, Y: r.StateGradNorm},
		series{Name: "σmax(M_{H-1}···M_t)", X: ts, Y: r.StatePredicted},
	)
}
