package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
)

// rolloutOptions are the flags of "mbrl rollout".
type rolloutOptions struct {
	commonOptions
	Env     string
	Policy  string
	Init    string
	Actions string
	CSV     string
	Steps   int
}

func (o *rolloutOptions) addFlags(fs *flag.FlagSet) {
	o.commonOptions.addFlags(fs, false)
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
		flags: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			o := &rolloutOptions{}
			o.addFlags(fs)
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("mbrl rollout: unexpected argument %q", args[0])
				}
				return a.runRollout(ctx, o)
			}
		},
	}
}

// trajectoryRow is one line of the rollout CSV.
type trajectoryRow struct {
	obs, action []float64
	reward      float64
	term, trunc bool
}

func (a *app) runRollout(_ context.Context, o *rolloutOptions) error {
	if o.Env == "" {
		return usagef("mbrl rollout: --env is required (see 'mbrl envs')")
	}
	env, err := envs.Make(o.Env)
	if err != nil {
		return asUsage(err)
	}
	var init []float64
	if o.Init != "" {
		init, err = parseFloats(o.Init)
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
		acts, err := readActions(o.Actions, space)
		if err != nil {
			return asUsage(err)
		}
		pol = &replayPolicy{actions: acts}
		label = "replay:" + o.Actions
	} else {
		pol, err = makePolicy(o.Policy, env, rand.New(rand.NewPCG(o.Seed, 1)))
		if err != nil {
			return err
		}
	}
	maxSteps := o.Steps
	if rp, ok := pol.(*replayPolicy); ok && (maxSteps == 0 || maxSteps > len(rp.actions)) {
		maxSteps = len(rp.actions)
	}
	if maxSteps == 0 && env.MaxSteps() == 0 {
		maxSteps = 10000
	}
	var rows []trajectoryRow
	rng := rand.New(rand.NewPCG(o.Seed, 0))
	ep, err := common.Rollout(env, pol, rng, common.RolloutConfig{
		Init:     init,
		MaxSteps: maxSteps,
		OnStep: func(t int, tr *common.Transition) {
			rows = append(rows, trajectoryRow{
				obs: append([]float64(nil), tr.Obs...), action: append([]float64(nil), tr.Action...),
				reward: tr.Reward, term: tr.Terminated, trunc: tr.Truncated,
			})
		},
	})
	if err != nil {
		return asUsage(fmt.Errorf("mbrl rollout: %w", err))
	}
	if o.CSV != "" {
		if err := writeTrajectoryCSV(o.CSV, a, rows); err != nil {
			return err
		}
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

// replayPolicy plays back a fixed action sequence.
type replayPolicy struct {
	actions [][]float64
	t       int
}

func (p *replayPolicy) Act(dst, _ []float64) {
	copy(dst, p.actions[min(p.t, len(p.actions)-1)])
	p.t++
}

// readActions reads one action per line (comma-separated values); blank
// lines and lines starting with '#' are skipped, and a first line that is not
// numeric is taken as a header. Every action is validated against space.
func readActions(path string, space envs.Space) ([][]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mbrl rollout: --actions: %w", err)
	}
	defer f.Close()
	var acts [][]float64
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		vals, err := parseFloats(s)
		if err != nil {
			if len(acts) == 0 && line == 1 {
				continue // header
			}
			return nil, fmt.Errorf("mbrl rollout: %s line %d: %v", path, line, err)
		}
		if err := space.Validate(vals); err != nil {
			return nil, fmt.Errorf("mbrl rollout: %s line %d: %v", path, line, err)
		}
		acts = append(acts, vals)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("mbrl rollout: read %s: %w", path, err)
	}
	if len(acts) == 0 {
		return nil, errors.New("mbrl rollout: " + path + " holds no actions")
	}
	return acts, nil
}

// writeTrajectoryCSV writes rows as t, obs_i..., action_j..., reward,
// terminated, truncated; obs is the observation the action was taken in.
// Files are written atomically.
func writeTrajectoryCSV(path string, a *app, rows []trajectoryRow) error {
	var sb strings.Builder
	w := csv.NewWriter(&sb)
	header := []string{"t"}
	if len(rows) > 0 {
		for i := range rows[0].obs {
			header = append(header, "obs_"+strconv.Itoa(i))
		}
		for j := range rows[0].action {
			header = append(header, "action_"+strconv.Itoa(j))
		}
	}
	header = append(header, "reward", "terminated", "truncated")
	_ = w.Write(header)
	for t, r := range rows {
		rec := []string{strconv.Itoa(t)}
		for _, v := range r.obs {
			rec = append(rec, strconv.FormatFloat(v, 'g', -1, 64))
		}
		for _, v := range r.action {
			rec = append(rec, strconv.FormatFloat(v, 'g', -1, 64))
		}
		rec = append(rec, strconv.FormatFloat(r.reward, 'g', -1, 64), strconv.FormatBool(r.term), strconv.FormatBool(r.trunc))
		_ = w.Write(rec)
	}
	w.Flush()
	if path == "-" {
		_, err := fmt.Fprint(a.stdout, sb.String())
		return err
	}
	return checkpoints.WriteFileAtomic(path, []byte(sb.String()))
}
