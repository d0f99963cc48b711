package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/mbrl/mbrl/cmd/internal/cli"
	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/policies"
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

func (a *app) rolloutCommand() cli.Command {
	return cli.Command{
		Name:    "rollout",
		Summary: "run one episode (random, zero, controller or checkpoint policy, or replayed actions) and write the trajectory as CSV",
		Usage:   "rollout --env E [--policy random|zero|lqr|ilqr|mpc|dp|CKPT] [--init x1,x2,..] [--actions FILE.csv] [--csv OUT]",
		Bind: func(b *cli.Binder) func(context.Context, []string) error {
			o := &rolloutOptions{Common: &b.Common, Policy: "random"}
			b.Bind("", o,
				row("env", "Env", "environment name (see 'mbrl envs')"),
				row("policy", "Policy", "random | zero | "+strings.Join(control.ExpertNames, " | ")+" | path to a policy checkpoint"),
				row("init", "Init", "initial internal state as comma-separated values (default: the env's reset distribution)"),
				row("actions", "Actions", "CSV file of actions to replay, one step per line (overrides --policy)"),
				row("csv", "CSV", "write the trajectory to this CSV file ('-' for stdout)"),
				row("max-steps", "Steps", "stop after this many steps (0: the env's own limit; envs without one stop at 10000)"))
			return func(ctx context.Context, _ []string) error { return a.runRollout(b, o) }
		},
	}
}

func (a *app) runRollout(b *cli.Binder, o *rolloutOptions) error {
	env, _, err := b.MakeEnv(o.Env)
	if err != nil {
		return err
	}
	var init []float64
	if o.Init != "" {
		init, err = cli.Floats(o.Init)
		if err != nil {
			return cli.Usagef("mbrl rollout: --init: %v", err)
		}
		if len(init) != env.StateDim() {
			return cli.Usagef("mbrl rollout: --init has %d values, %s's state has %d", len(init), o.Env, env.StateDim())
		}
	}
	if o.Steps < 0 {
		return cli.Usagef("mbrl rollout: --max-steps must be >= 0 (0: the env's own limit), got %d", o.Steps)
	}
	// A recorded step holds the observation, action, reward, next
	// observation and flags, and its line of CSV text.
	mem := config.Memory{}
	mem.Floats("Steps", float64(o.Steps), float64(2*env.ObservationSpace().Dim()+env.ActionSpace().Dim()+3), 4)
	if err := b.CheckMemory(mem); err != nil {
		return err
	}
	space := env.ActionSpace()
	var pol common.Policy
	label := o.Policy
	if o.Actions != "" {
		acts, err := common.ReadActions(o.Actions, space)
		if err != nil {
			return cli.Usagef("mbrl rollout: --actions: %v", err)
		}
		pol = &common.ReplayPolicy{Actions: acts}
		label = "replay:" + o.Actions
	} else {
		if pol, err = policies.Make(o.Policy, env, rand.New(rand.NewPCG(o.Seed, 1))); err != nil {
			return cli.AsUsage(err)
		}
	}
	ep, steps, err := common.RecordEpisode(env, pol, rand.New(rand.NewPCG(o.Seed, 0)), init, o.Steps)
	if err != nil {
		return cli.AsUsage(fmt.Errorf("mbrl rollout: %w", err))
	}
	if err := common.WriteTrajectoryFile(o.CSV, a.Stdout, steps); err != nil {
		return fmt.Errorf("mbrl rollout: --csv: %w", err)
	}
	if !o.JSON && o.CSV != "-" {
		fmt.Fprintf(a.Stdout, "%s  policy %s  steps %d  return %.4f  terminated %v  truncated %v\n",
			o.Env, label, ep.Steps, ep.Return, ep.Terminated, ep.Truncated)
	}
	return a.WriteJSON(o.JSON, map[string]any{
		"command": "rollout", "env": o.Env, "seed": o.Seed, "policy": label,
		"steps": ep.Steps, "return": ep.Return, "terminated": ep.Terminated, "truncated": ep.Truncated,
		"csv": o.CSV,
	})
}
