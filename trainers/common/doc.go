// Package common holds the loop pieces every trainer shares: the Policy
// interface, episode rollouts and evaluation over many episodes (in parallel,
// with results independent of the number of workers), datasets and replay
// buffers, and the metrics a trainer reports.
//
//	res, err := common.Evaluate(makeEnv, makePolicy, common.EvalConfig{Episodes: 100, Seed: 1})
//	fmt.Printf("%.1f +- %.1f\n", res.Mean, res.Std)
package common
