// Package bptt trains a deterministic policy by backpropagation through
// time (Werbos 1990, "Backpropagation through time: what it does and how to
// do it") of the H-step cost of its rollouts through the dynamics into the
// policy parameters: the analytic policy gradient of PILCO (Deisenroth &
// Rasmussen 2011, "PILCO: A Model-Based and Data-Efficient Approach to
// Policy Search"), with deterministic rollouts from a batch of start states
// and either the env's known dynamics (TrueSystem) or a learned neural
// dynamics model (ModelSystem, through the graph form of the shared
// learned.Model of package control/learned) in place of PILCO's Gaussian
// process; see also CS 285 (Berkeley, Levine), lecture "Model-based policy
// learning", on why this is hard: the gradient is a product of H closed-loop
// Jacobians and explodes or vanishes as H grows.
//
// Engine computes the gradient with one step graph reused for every time
// step, chaining vector-Jacobian products backward (so build time does not
// depend on H, and H = 1000 is routine); Trainer adds start-state sampling,
// global-norm clipping, truncated BPTT, a horizon curriculum and Adam, and
// implements common.Trainer; Study measures per-start gradient norms
// against the horizon beside the growth σ_max(Π_t (f_x + f_u dπ/dx)) the
// closed-loop Jacobians predict.
//
//	sys := bptt.TrueSystem{Dyn: envs.PendulumDynamics{}}
//	cfg := bptt.DefaultConfig() // H = 50, batch 64, Adam LR 1e-2, clip 1
//	cfg.Seed = 1
//	tr, err := bptt.New(cfg, envs.NewPendulum(), sys, policy)
//	for i := 0; i < 400; i++ {
//		metrics, err := tr.Iterate(ctx, i) // loss, cost_per_step, grad_norm, horizon
//	}
//
// Through a learned model the rollout runs on observations, and the cost
// is evaluated on them (ObsCostOf: the cost on observations the env or its
// dynamics expose, envs.ObsCosterOf and envs.GraphObsCost): for the
// pendulum the angle is autodiff.Atan2(sin, cos), a custom Gorgonia op
// with its gradient. Nothing else of the env is needed, so BPTT through a
// model also trains on envs without known dynamics whose cost is known,
// such as gym:Pendulum-v1 through the Gymnasium bridge.
//
// A model fitted once on random data covers the pendulum's states well
// enough, but in general it does not cover the states a good policy
// visits. LearnTrainer ("mbrl train bptt --learn-model") runs PILCO's
// loop instead: random data and a first fit, then every RefitEvery BPTT
// iterations a few real episodes of the current (noisy) policy, a
// warm-started refit on all data, and BPTT through the refitted model
// again, with one step graph (aliasing the refitted weights) and one
// learning-rate schedule for the whole run.
//
// Nothing in the package prints; trainers report through metrics.
package bptt
