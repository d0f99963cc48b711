// Package policies resolves a policy named on a command line: "random",
// "zero", a controller on an env's true dynamics (control.ExpertNames:
// lqr, ilqr, mpc, dp) or a checkpoint (.safetensors) that holds a policy,
// a Q-network (acted on greedily) or the learned model of an mpc run
// (its planner replayed through that model).
//
//	mk, err := policies.Factory("controller", "mpc", env, control.ExpertSettings{Plans: 16})
//	if err != nil { ... }
//	res, err := common.Evaluate(makeEnv, mk, common.EvalConfig{Episodes: 100, Seed: 11})
package policies
