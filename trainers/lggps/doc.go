// Package lggps is guided policy search with local linear-Gaussian models
// (Levine & Abbeel 2014): GPS on a system whose dynamics are unknown,
// learned from samples around each trajectory.
//
// For each of K initial conditions a time-varying linear-Gaussian
// controller p_k(u_t|x_t) = N(K_t x_t + k_t, S_t) acts on the env's state
// x (env.State()); a policy pi_theta(u|o) = N(mu_theta(o), Sigma_pi) acts on
// its observation o. Each iteration
//
//  1. runs N samples of every controller on the real env (Reset, SetState,
//     State and Step only: Trainer never touches envs.Dynamics);
//  2. fits linear-Gaussian dynamics p(x'|x,u) = N(F_t [x;u] + f_t, Sigma_t)
//     per condition and step by Gaussian conditioning under a
//     normal-inverse-Wishart prior from a Gaussian mixture over all
//     transitions of the iteration (their Sec. 3.1), so that a handful of
//     samples suffices; u is the intended action (the env clips it, and
//     the LQG chooses intended actions), and each mixture component is
//     regularised relative to its own spread;
//  3. takes the trajectory step: the LQG on the augmented-Lagrangian
//     surrogate c(x,u) + lambda_t'(pi(x_t) - u_t) + rho_t |pi(x_t) - u_t|^2
//     (pi linearised around the samples, c expanded to second order by
//     finite differences of its value) under KL(p_new || p_old) <= epsilon,
//     with the dual eta of the bound found by bracketing and epsilon adapted
//     from the predicted and actual improvement (their Sec. 3.2-3.3), and
//     optionally an entropy bonus (Config.MaxEnt) that keeps the
//     controllers' noise from collapsing;
//  4. takes the policy step: a rho-weighted regression of mu_theta(o) on
//     the new controllers' means at the sampled states shifted by
//     -lambda/(2 rho), as in trainers/gps; Sigma_pi is the inverse of the
//     controllers' mean precision;
//  5. moves lambda_t += 2 rho_t E[pi(x_t) - u_t] per condition and step,
//     raising rho where the violation stalls.
//
// The task cost c(x, u) is known, as GPS assumes (CostOf takes the value,
// and only the value, of an env's cost; for the cart-poles that is the
// stabilisation cost of CartPoleDynamics, not the alive reward). Actions
// beyond the env's bounds, which Step clips and linear models cannot see,
// are penalised by Config.BoundPenalty. The observation map h(x) that the
// policy's linearisation needs is read from the env (SetState returns
// h(x)) and differentiated by central differences.
//
// The method is local: from zero controllers (noise only) the trajectory
// step on pendulum converges to hanging, as iLQR from zero plans does, and
// it does so even when the fitted models are replaced by the true local
// dynamics. Config.ModelInit (the CLI's --init model, its default) starts
// the controllers from samples alone instead: a global neural model of
// the state fitted to a few random-action episodes, receding-horizon iLQR
// on it run on the env from each condition (in ModelInit.Rounds rounds,
// the model refitted on the rollouts in between), and the time-varying
// LQR gains of the model along that rollout, u = u_t + K_t (x - x_t); its
// env steps count in env_steps. Config.Init linearises a given feedback
// law instead (the CLI's --init hint: the env's hinted swing-up, env
// knowledge rather than samples). The cost's
// finite-difference Hessians are projected on the positive semi-definite
// cone (kinks such as the cart-pole's force clip make them indefinite).
//
// Conditions are processed by Config.Workers goroutines, each with its own
// env; every random draw comes from a stream of (Seed, iteration,
// condition), so results do not depend on the number of workers, and
// State/Restore resume a run bit for bit.
//
// References:
//
//	S. Levine, P. Abbeel, "Learning neural network policies with guided
//	policy search under unknown dynamics", NIPS 2014.
//	S. Levine, C. Finn, T. Darrell, P. Abbeel, "End-to-end training of
//	deep visuomotor policies", JMLR 2016 (policy covariance, Sec. 4.2).
//	I. Mordatch, E. Todorov, "Combining the benefits of function
//	approximation and trajectory optimization", RSS 2014 (the augmented
//	Lagrangian form).
//
// Use:
//
//	mk := func() (envs.Env, error) { return envs.Make("pendulum") }
//	env, _ := mk()
//	cost, _ := lggps.CostOf(env)
//	cfg := lggps.DefaultConfig()
//	cfg.ModelInit, cfg.InitStd = lggps.DefaultModelInit(), 0.05 // controllers from samples alone
//	tr, err := lggps.New(cfg, mk, cost, pol) // pol: a gps.Policy, the mean
//	if err != nil { ... }
//	for it := range 10 {
//		metrics, err := tr.Iterate(ctx, it) // the first fits the model init; traj_cost, violation, ...
//	}
package lggps
