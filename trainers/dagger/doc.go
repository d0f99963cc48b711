// Package dagger trains a policy by imitating an expert: behaviour cloning
// (supervised regression on the expert's own demonstrations) and DAgger,
//
//	S. Ross, G. Gordon, J. A. Bagnell, "A reduction of imitation learning
//	and structured prediction to no-regret online learning", AISTATS 2011
//	(Algorithm 3.1).
//
// Behaviour cloning trains only on the states the expert visits, so the
// learner's small mistakes take it to states it has never seen and errors
// compound over the horizon (quadratically in T, Ross & Bagnell 2010).
// DAgger instead runs the mixture pi_i = beta_i pi* + (1 - beta_i) pi_hat_i
// (the expert with probability beta_i at each step, the current learner
// otherwise), asks the expert to label every visited state, aggregates all
// labelled states into one dataset and retrains the learner on it.
//
// The expert only has to label states: any common.Policy does (MPC on the
// true dynamics, LQR, a trained network), given as a factory so that each
// worker goroutine has its own instance. Expert labelling runs on all
// cores; every episode has its own random streams and results are stored
// by episode index, so nothing depends on the number of workers.
//
//	cfg := dagger.DefaultConfig() // M = 20 episodes, beta decay 0.5
//	cfg.MakeEnv = func() (envs.Env, error) { return envs.Make("pendulum") }
//	cfg.Expert = makeMPC // func() (common.Policy, error)
//	cfg.Seed = 1
//	tr, err := dagger.New(cfg)
//	for i := range 10 {
//		metrics, err := tr.Iterate(ctx, i) // labels, train_return, loss, ...
//	}
//	tr.Policy().Act(u, obs)
//
// With Config.BC the same trainer is behaviour cloning (beta_i = 1 for every
// iteration: expert-only data); with Config.CompareBC a DAgger trainer also
// trains a behaviour-cloning learner on the same number of expert-only
// labels at every iteration and reports its return beside DAgger's.
//
// The pieces DAgger shares with PLATO (package trainers/plato) are package
// imitation's: the aggregated dataset of labelled observations, the
// warm-started supervised learner with a held-out split and early stopping
// (nn.Regressor), the worker-count-independent parallel labelled episodes,
// the expert's evaluation and the resume state.
package dagger
