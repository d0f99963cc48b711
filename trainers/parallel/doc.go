// Package parallel is the one worker pool of the trainers: it runs n
// indexed jobs on a few goroutines, each with its own worker state (an env,
// a policy or planner copy), under one error policy.
//
// Results never depend on the number of workers as long as every job
// stores its result by its index and draws randomness only from streams
// derived from that index (not from a stream shared between jobs):
//
//	returns := make([]float64, n)
//	err := parallel.Run(ctx, n, workers, newEnv, func(env envs.Env, i int) error {
//		ep, err := common.Rollout(env, pol, rand.New(rand.NewPCG(seed, uint64(i))), common.RolloutConfig{})
//		returns[i] = ep.Return
//		return err
//	})
//
// The error policy: jobs are handed out in index order; after a failure
// (of a job or of making a worker) no job above the lowest failing index
// starts, and after ctx is cancelled none at all; the running ones finish.
// The error returned is that of making a worker, else that of the
// lowest-index failing job (the same for every number of workers), else
// ctx.Err() if jobs were left out.
package parallel
