// Package mpc is model-based RL by planning through a learned model: fit
// a dynamics model to real transitions, act in the real env with
// receding-horizon control through the model (replanning every step),
// add what was seen to the data, refit, repeat. It follows
//
//	A. Nagabandi, G. Kahn, R. S. Fearing, S. Levine, "Neural Network
//	Dynamics for Model-Based Deep Reinforcement Learning with Model-Free
//	Fine-Tuning", ICRA 2018 (Algorithm 1: random data, then iterations
//	of fitting, MPC rollouts and data aggregation), and
//
//	K. Chua, R. Calandra, R. McAllister, S. Levine, "Deep Reinforcement
//	Learning in a Handful of Trials using Probabilistic Dynamics Models",
//	NeurIPS 2018 (PETS: ensembles with bootstrap, plans scored by the mean
//	cost over members rolled out separately, CEM planning).
//
// The planners are control.MPC (iLQR on the model's Jacobians) and
// control.CEM (sampling; no Jacobians), both behind control.Planner; the
// model enters as a learned.Model (package control/learned, the adapter
// every model-based method shares) and the cost as a cost on observations
// (ObsCost). NewPlannerPolicy turns any saved dynamics model
// into a policy:
//
//	c, _ := checkpoints.Load("runs/mpc-pendulum-1-.../final.safetensors")
//	m, _ := nn.LoadModel(c, "dynamics")
//	env, _ := envs.Make("pendulum")
//	cfg, _ := mpc.SavedPlannerConfig(c) // the planner it was trained with; zero value: iLQR, H = 20
//	pol, err := mpc.NewPlannerPolicy(m, env, cfg) // one per goroutine
//	pol.Act(action, obs)
//
// Trainer is the loop as a common.Trainer ("mbrl train mpc"):
//
//	cfg := mpc.DefaultConfig()
//	cfg.Fit.Ensemble, cfg.Seed = 5, 1
//	tr, err := mpc.New(cfg, func() (envs.Env, error) { return envs.Make("pendulum") })
//	for i := range 15 {
//		ms, err := tr.Iterate(ctx, i) // return, env_steps, val_mse, rmse_10, ...
//	}
package mpc
