// Package common holds the loop pieces every trainer shares: the Policy
// interface, episode rollouts and evaluation over many episodes (in parallel,
// with results independent of the number of workers), datasets and replay
// buffers, the metrics a trainer reports and the training loop (Loop,
// Resume); loading a policy or model from a checkpoint (LoadPolicy,
// LoadModel, NewPolicyNet for a fresh one), and trajectories to and from
// CSV (ReadActions, ReplayPolicy, WriteTrajectoryCSV).
//
//	res, err := common.Evaluate(makeEnv, makePolicy, common.EvalConfig{Episodes: 100, Seed: 1})
//	fmt.Printf("%.1f +- %.1f\n", res.Mean, res.Std)
package common
