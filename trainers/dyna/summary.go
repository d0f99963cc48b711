package dyna

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mbrl/mbrl/trainers/run"
)

// ParseTargetReturn parses a target return for Config.TargetReturn on the
// named env: a number, "none" or "" (no target), or "auto": 475 on
// cartpole (CartPole-v1's solved threshold), none elsewhere.
func ParseTargetReturn(s, env string) (*float64, error) {
	switch s = strings.TrimSpace(s); s {
	case "none", "":
		return nil, nil
	case "auto":
		if env != "cartpole" {
			return nil, nil
		}
		s = "475"
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, fmt.Errorf("dyna: target return must be a number, auto or none, got %q", s)
	}
	return &v, nil
}

// Summarize returns the run.Training.Summarize of a run of t: it
// evaluates the greedy policy over finalEpisodes episodes (eval, or
// eval_error if that fails) and adds planning_steps, rollout_length,
// env_steps, termination ("known" when simulated transitions end by the
// env's termination rule, else "none"), action_bins (for discretised
// actions), target_return and steps_to_threshold (nil until reached).
func (t *Trainer) Summarize(finalEpisodes int) func(*run.Run, run.Summary) error {
	return func(_ *run.Run, sum run.Summary) error {
		termination := "none"
		if !t.cfg.IgnoreTermination && t.term != nil {
			termination = "known"
		}
		sum["planning_steps"], sum["rollout_length"] = t.cfg.PlanningSteps, t.cfg.RolloutLength
		sum["env_steps"], sum["termination"], sum["steps_to_threshold"] = t.envSteps, termination, nil
		if t.actions.Discretised() {
			sum["action_bins"] = t.cfg.ActionBins
		}
		if t.cfg.TargetReturn != nil {
			sum["target_return"] = *t.cfg.TargetReturn
			if s, ok := t.StepsToTarget(); ok {
				sum["steps_to_threshold"] = s
			}
		}
		res, err := t.Evaluate(finalEpisodes)
		if err != nil {
			sum["eval_error"] = err.Error()
			return nil
		}
		sum["eval"] = res
		return nil
	}
}
