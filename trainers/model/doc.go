// Package model learns neural dynamics models from real transitions, the
// model-learning step of
//
//	A. Nagabandi, G. Kahn, R. S. Fearing, S. Levine, "Neural Network
//	Dynamics for Model-Based Deep Reinforcement Learning with Model-Free
//	Fine-Tuning", ICRA 2018 (Sec. IV-A: random-action data, a network
//	predicting the normalised change of state, minibatch Adam on the
//	squared error, open-loop multi-step validation), and
//
//	K. Chua, R. Calandra, R. McAllister, S. Levine, "Deep Reinforcement
//	Learning in a Handful of Trials using Probabilistic Dynamics Models",
//	NeurIPS 2018 (PETS; ensembles of independently initialised members,
//	each trained on its own bootstrap resample).
//
// The pieces are reusable: Dataset (transitions with their episodes) and
// Collect fill data from any policy; Fitter trains an nn.DynamicsModel or
// nn.Ensemble on it, warm-starting when the data grow; NormalisedMSE and
// MultiStepRMSE measure one-step and open-loop errors against real
// trajectories. Trainer is the "mbrl train model" method as a
// common.Trainer.
//
//	env, _ := envs.Make("pendulum")
//	pol := &common.RandomPolicy{Space: env.ActionSpace(), Rng: rand.New(rand.NewPCG(1, 3))}
//	cfg := model.DefaultConfig() // 100 episodes, 10% held out, [64, 64] tanh
//	cfg.Seed = 1
//	tr, err := model.New(cfg, env, pol)
//	defer tr.Close()
//	for i := range 20 {
//		ms, err := tr.Iterate(ctx, i) // loss, val_mse, rmse_10, rmse_50
//	}
//	dyn := tr.Model() // *nn.DynamicsModel "dynamics" with its normalisers
package model
