// Package plato trains a Gaussian policy with PLATO, policy learning with
// adaptive trajectory optimisation,
//
//	G. Kahn, T. Zhang, S. Levine, P. Abbeel, "PLATO: Policy learning using
//	adaptive trajectory optimization", ICRA 2017 (Algorithm 1, eq. 2-5).
//
// Like DAgger, PLATO trains the learner pi_theta(u|o) by supervised
// learning on states labelled by an MPC expert, aggregating the data of all
// iterations. Unlike DAgger it never executes the (possibly bad) learner:
// at every visited state x_t the executed action is drawn from an adaptive
// teacher
//
//	pi_hat_t = argmin_pi  E_pi[ sum_{t'=t}^{t+H} c(x_t', u_t') ] + lambda KL(pi || pi_theta(.|o_t')),
//
// computed by MPC (iLQR over the horizon H, warm-started) whose per-step
// cost includes the KL term. For Gaussians the KL term's dependence on the
// teacher's mean is a quadratic pull towards the learner's mean weighted by
// the learner's precision, lambda/2 (u - mu_theta(o(x)))' Sigma_theta^-1
// (u - mu_theta(o(x))) (the klCost ExtraCost, with its derivatives in x
// through the observation map and the learner's Jacobian), and its
// covariance terms, lambda/2 [tr(Sigma_theta^-1 Sigma) - log det Sigma],
// are minimised in closed form by Sigma_t = lambda Q_uu,t^-1: the teacher
// is the linear-Gaussian controller N(u_t, lambda Q_uu,t^-1) of the
// KL-augmented iLQR. The sampled teacher action is executed; the state is
// labelled with the plain MPC action (lambda = 0, the expert). The teacher
// therefore stays close to the expert while the learner is poor (safe
// training episodes) and moves towards the learner as the learner
// improves, so that the states it visits are the learner's (DAgger's cure
// for compounding errors).
//
// Input remapping: the learner sees observations o = Obs(x) while the
// teacher plans on the full state x (env.State()); the KL term maps each
// planned state through the env's known Dynamics.Obs.
//
// The learner is an nn.GaussianPolicy: its mean is fitted by mean-squared
// regression to the labels (imitation.Learner), its state-independent
// standard deviation set to the maximum-likelihood value, the
// root-mean-square residual of the fit (floored at MinStd). The dataset,
// the learner, the parallel labelled episodes and the resume state are
// package imitation's, shared with DAgger.
//
//	cfg := plato.DefaultConfig() // lambda = 0.01
//	cfg.MakeEnv, cfg.Expert, cfg.Dynamics = makeEnv, makeMPC, envs.PendulumDynamics{}
//	tr, err := plato.New(cfg)
//	for i := range 10 {
//		metrics, err := tr.Iterate(ctx, i) // train_return, labels, teacher_std, ...
//	}
package plato
