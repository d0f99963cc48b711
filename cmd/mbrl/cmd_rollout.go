package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/cmd/internal/cli"
	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/trainers/common"
)

// rolloutOptions are the flags of "mbrl rollout".
type rolloutOptions struct {
	*cli.Common
	Env     string
	Policy  string
	Init    string
	Actions string
	CSV     string
	Steps   int
}

func (o *rolloutOptions) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.Env, "env", "", "environment name (see 'mbrl envs')")
	fs.StringVar(&o.Policy, "policy", "random", "random | zero | "+strings.Join(control.ExpertNames, " | ")+" | path to a policy checkpoint")
	fs.StringVar(&o.Init, "init", "", "initial internal state as comma-separated values (default: the env's reset distribution)")
	fs.StringVar(&o.Actions, "actions", "", "CSV file of actions to replay, one step per line (overrides --policy)")
	fs.StringVar(&o.CSV, "csv", "", "write the trajectory to this CSV file ('-' for stdout)")
	fs.IntVar(&o.Steps, "max-steps", 0, "stop after this many steps (0: the env's own limit; envs without one stop at 10000)")
}

func rolloutCommand() command {
	return command{
		name:    "rollout",
		summary: "run one episode (random, zero, controller or checkpoint policy, or replayed actions) and write the trajectory as CSV",
		usage:   "rollout --env E [--policy random|zero|mpc|CKPT] [--init x1,x2,..] [--actions FILE.csv] [--csv OUT]",
		flags: func(a *app, b *binder) func(context.Context, []string) error {
			o := &rolloutOptions{Common: &b.common}
			o.addFlags(b.FS)
			return func(ctx context.Context, _ []string) error { return a.runRollout(b, o) }
		},
	}
}

func (a *app) runRollout(b *binder, o *rolloutOptions) error {
	env, _, err := b.makeEnv(o.Env)
	if err != nil {
		return err
	}
	var init []float64
	if o.Init != "" {
		init, err = cli.Floats(o.Init)
		if err != nil {
			return usagef("mbrl rollout: --init: %v", err)
		}
		if len(init) != env.StateDim() {
			return usagef("mbrl rollout: --init has %d values, %s's state has %d", len(init), o.Env, env.StateDim())
		}
	}
	space := env.ActionSpace()
	var pol common.Policy
	label := o.Policy
	if o.Actions != "" {
		acts, err := common.ReadActions(o.Actions, space)
		if err != nil {
			return usagef("mbrl rollout: --actions: %v", err)
		}
		pol = &common.ReplayPolicy{Actions: acts}
		label = "replay:" + o.Actions
	} else {
		pol, err = makePolicy(o.Policy, env, rand.New(rand.NewPCG(o.Seed, 1)))
		if err != nil {
			return err
		}
	}
	maxSteps := o.Steps
	if rp, ok := pol.(*common.ReplayPolicy); ok && (maxSteps == 0 || maxSteps > len(rp.Actions)) {
		maxSteps = len(rp.Actions)
	}
	if maxSteps == 0 && env.MaxSteps() == 0 {
		maxSteps = 10000
	}
	var steps []common.Transition
	ep, err := common.Rollout(env, pol, rand.New(rand.NewPCG(o.Seed, 0)),
		common.RolloutConfig{Init: init, MaxSteps: maxSteps, OnStep: common.Recorder(&steps)})
	if err != nil {
		return asUsage(fmt.Errorf("mbrl rollout: %w", err))
	}
	if err := a.writeTrajectory(o.CSV, steps); err != nil {
		return err
	}
	if !o.JSON && o.CSV != "-" {
		fmt.Fprintf(a.stdout, "%s  policy %s  steps %d  return %.4f  terminated %v  truncated %v\n",
			o.Env, label, ep.Steps, ep.Return, ep.Terminated, ep.Truncated)
	}
	return a.writeJSON(o.JSON, map[string]any{
		"command": "rollout", "env": o.Env, "seed": o.Seed, "policy": label,
		"steps": ep.Steps, "return": ep.Return, "terminated": ep.Terminated, "truncated": ep.Truncated,
		"csv": o.CSV,
	})
}

// writeTrajectory writes the trajectory CSV to path ('-': stdout; "":
// nowhere), atomically.
func (a *app) writeTrajectory(path string, steps []common.Transition) error {
	var sb strings.Builder
	if err := common.WriteTrajectoryCSV(&sb, steps); err != nil || path == "" {
		return err
	}
	if path == "-" {
		_, err := fmt.Fprint(a.stdout, sb.String())
		return err
	}
	return checkpoints.WriteFileAtomic(path, []byte(sb.String()))
}
