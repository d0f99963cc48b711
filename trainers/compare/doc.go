// Package compare runs every (method, seed) pair of a comparison through the
// mbrl command line and ranks the methods the way Agarwal et al. 2021 ask
// deep-RL results to be reported ("Deep reinforcement learning at the edge
// of the statistical precipice", NeurIPS 2021): per method the mean, median
// and interquartile mean (IQM) over seeds with 95% stratified-bootstrap
// confidence intervals, the worst seed, and, where the env has one, the gap
// to the optimum on the same evaluation starts (Henderson et al. 2018, "Deep
// reinforcement learning that matters", on why one seed is an anecdote).
//
// A Plan (NewPlan parses one from the text of the command line's flags)
// names the env, the method specs ("dagger:plans=16:iters=2": the
// method, then train flags as name=value), the seeds ("1-5", "1,3,7") and the
// evaluation starts. Jobs lists its (spec, seed) pairs in a fixed order; job
// i trains with
//
//	mbrl train METHOD --env E --seed S --out DIR/<spec>/seed-<S> --quiet --json [--name=value ...]
//
// and is evaluated with
//
//	mbrl eval --checkpoint RUN/final.safetensors --env E --seed EVALSEED --episodes N --json
//
// The Runner executes those commands, Jobs processes at a time with a fixed
// GOMAXPROCS each (every mbrl result is independent of its worker count), and
// saves RUN/summary.json and RUN/eval.json. A run folder that holds them is
// reused, so a killed comparison resumes; a failing run is recorded
// (RUN/error.txt, the report's failed list), never fatal. The optimum row
// comes from "mbrl optimum" when the env has one. For a Gymnasium env
// (--env gym:ID) the plan's Python and GymKwargs go to every one of those
// commands as --python and --gym-kwargs, and plan.json records them.
//
// Report.WriteFiles writes leaderboard.csv, leaderboard.md, leaderboard.png,
// runs.csv and compare.json. Plan.Slurm and Plan.Kubernetes emit a Slurm job
// array and an Indexed Kubernetes Job whose index i runs job i into a shared
// folder (EmitRunIndex: index i runs "mbrl compare ... --run-index i",
// RunIndexCommand, which runs JobAt(i)); a Runner with CollectOnly then builds the same leaderboard from the
// finished folders and lists what is missing or failed.
//
//	p := &compare.Plan{Env: "pendulum", Methods: specs, Seeds: seeds, EvalSeed: 11, Episodes: 100, Dir: dir}
//	rep, err := (&compare.Runner{Binary: exe, Jobs: 2}).Run(ctx, p)
//	err = rep.WriteFiles(dir)
package compare
