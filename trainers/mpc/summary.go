package mpc

import (
	"fmt"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/model"
	"github.com/mbrl/mbrl/trainers/run"
)

// EvalPolicy returns a constructor of policies that plan with t's
// current model in envs made by makeEnv, one per evaluation worker.
func (t *Trainer) EvalPolicy(makeEnv func() (envs.Env, error)) func() (common.Policy, error) {
	return func() (common.Policy, error) {
		env, err := makeEnv()
		if err != nil {
			return nil, err
		}
		return NewPlannerPolicy(t.Model(), env, t.cfg.Planner)
	}
}

// Summarize adds to the summary of a run of t the effective planner
// (planner, horizon, plan_iters), the data (env_steps), the learning curve
// (return_by_iter, env_steps_by_iter), the last validation metrics
// (val_mse, rmse_10, rmse_50, rounded to 4 digits) and the error curve of
// the model on the last episodes (model.AddErrorCurve).
func (t *Trainer) Summarize(r *run.Run, sum run.Summary) error {
	var rets, steps []float64
	for _, row := range r.History {
		rets = append(rets, model.Round4(row["return"]))
		steps = append(steps, row["env_steps"])
	}
	cfg := t.Config()
	sum["planner"], sum["horizon"], sum["plan_iters"] = cfg.Planner.Planner, cfg.Planner.Horizon, cfg.Planner.Iters
	sum["env_steps"], sum["return_by_iter"], sum["env_steps_by_iter"] = t.Data().Len(), rets, steps
	if last := r.History.Last(); last != nil {
		sum["val_mse"], sum["rmse_10"], sum["rmse_50"] = model.Round4(last["val_mse"]), model.Round4(last["rmse_10"]), model.Round4(last["rmse_50"])
	}
	curve, member := t.ErrorCurve(model.ErrorHorizon)
	if curve == nil {
		return nil
	}
	return model.AddErrorCurve(r, sum, "open-loop model error on the last episodes ("+r.Env+")", cfg.Fit.Ensemble, curve, member)
}

// LoadPlannerPolicy returns a constructor of policies that replay the
// learned-model MPC of the checkpoint at path (written by "mbrl train
// mpc"): its "dynamics" model planned through with the planner the run
// was trained with (SavedPlannerConfig; DefaultPlannerConfig for a model
// of "mbrl train model"), in envs made by makeEnv, one per evaluation
// worker.
func LoadPlannerPolicy(path string, makeEnv func() (envs.Env, error)) (func() (common.Policy, error), error) {
	c, err := checkpoints.Load(path)
	if err != nil {
		return nil, err
	}
	env, err := makeEnv()
	if err != nil {
		return nil, err
	}
	m, err := common.LoadModel(path, "dynamics", env.Name())
	if err != nil {
		return nil, err
	}
	cfg, ok := SavedPlannerConfig(c)
	if !ok {
		cfg = DefaultPlannerConfig()
	}
	if _, err := NewPlannerPolicy(m, env, cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return func() (common.Policy, error) {
		env, err := makeEnv()
		if err != nil {
			return nil, err
		}
		return NewPlannerPolicy(m, env, cfg)
	}, nil
}
