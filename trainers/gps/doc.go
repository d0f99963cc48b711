// Package gps is guided policy search in its deterministic form: trajectory
// optimisation and supervised policy learning tied together by dual
// variables on the constraint u_t = pi_theta(x_t), solved by dual gradient
// descent on the augmented Lagrangian
//
//	min over tau, theta of c(tau)  subject to  u_t = pi_theta(x_t)
//	L(tau, theta, lambda) = c(tau) + sum_t lambda_t'(pi_theta(x_t) - u_t)
//	                               + sum_t rho_t |pi_theta(x_t) - u_t|^2
//
// Each iteration (1) re-optimises one trajectory per initial condition by
// iLQR on c plus the lambda and rho terms (control.ILQR with an ExtraCost
// whose x-derivatives chain the policy's Jacobian through the observation
// map), (2) fits the policy to all trajectories by Adam on the same
// objective, a rho-weighted regression towards u_t - lambda_t/(2 rho_t),
// and (3) moves lambda along the constraint violation, raising rho where
// the violation stalls, as augmented-Lagrangian methods do.
//
// Trajectories live on a System: an env's known dynamics (TrueSystem: the
// state is the env's state, the policy sees its observation) or a learned
// model of observations (ModelSystem over the shared learned.Model of
// package control/learned, from 'mbrl train model', with the env's cost on
// observations, ObsCostOf: no known dynamics needed, so it also runs on
// gym:Pendulum-v1 through the Gymnasium bridge). Policies
// are *nn.DeterministicPolicy (bounded actions) or MLPPolicy (unbounded;
// with no hidden layer the linear policy that recovers the LQR gain on the
// linear env). Config.FeedbackSamples optionally also trains the policy
// at perturbed states on the trajectories' iLQR feedback, which makes the
// policy run alone more robust with few conditions.
//
// References:
//
//	S. Levine, V. Koltun, "Learning complex neural network policies with
//	trajectory optimization", ICML 2014 (constrained GPS, dual descent).
//	I. Mordatch, E. Todorov, "Combining the benefits of function
//	approximation and trajectory optimization", RSS 2014 (the augmented
//	Lagrangian / ADMM form).
//	S. Levine, "CS 294-112 Deep Reinforcement Learning", lecture "Learning
//	policies by imitating optimal controllers" (the statement above).
//	D. P. Bertsekas, "Constrained optimization and Lagrange multiplier
//	methods", 1982 (method of multipliers: lambda += 2 rho g, rho raised
//	when |g| does not fall fast enough).
//
// Use:
//
//	env, _ := envs.Make("pendulum")
//	dyn, _ := envs.DynamicsOf(env)
//	pol, _ := nn.NewDeterministicPolicy("policy", arch, rand.New(rand.NewPCG(seed, 0)))
//	cfg := gps.DefaultConfig()
//	cfg.Conditions, cfg.Seed = 32, seed
//	tr, err := gps.New(cfg, env, gps.NewTrueSystem(dyn), pol)
//	if err != nil { ... }
//	for it := range 30 {
//		metrics, err := tr.Iterate(ctx, it) // traj_cost, violation, policy_cost, ...
//	}
package gps
