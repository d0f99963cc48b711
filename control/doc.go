// Package control is trajectory optimisation and feedback control on known
// or learned dynamics: finite- and infinite-horizon discrete LQR (Riccati
// recursion and the DARE, with gonum), iLQR with adaptive
// Levenberg-Marquardt regularisation, line search and control bounds
// (Tassa et al. 2012, 2014), receding-horizon MPC over iLQR with warm
// starts (one plan or a population of plans), and time-varying
// linear-Gaussian controllers extracted from either.
//
// Dynamics come through the small Model interface (f and its Jacobians) and
// costs through Cost (c and its derivatives); envs.Dynamics satisfies both,
// and a learned neural model is adapted to Model by package
// control/learned (this package does not import nn; its costs on
// observations, PendulumObsCost, ObsCost and EnsembleCost, serve the
// learned model). iLQR takes an optional
// ExtraCost, a time-indexed term with derivatives, which guided policy
// search and PLATO use to pull the trajectory towards a learner.
//
// Infinite-horizon LQR about an equilibrium:
//
//	dyn := envs.NewCartPoleContinuous().Dynamics()
//	p := control.Linearize(dyn, dyn, make([]float64, 4), []float64{0})
//	p.Q, p.R = myQ, myR // or keep the cost's Hessians
//	sol, err := p.SolveInfinite()
//	sol.Act(u, x) // u = K x
//
// iLQR from an initial guess, then the time-varying controller:
//
//	dyn := envs.PendulumDynamics{}
//	low, high := dyn.ActionBounds()
//	s, err := control.NewILQR(dyn, dyn, 100, &control.ILQRSettings{Low: low, High: high})
//	sol, err := s.Solve(x0, nil)
//	ctrl := sol.Controller() // u_t = U_t + K_t (x - X_t)
//
// MPC as a policy on observations, one per goroutine:
//
//	mpc, err := control.NewMPC(dyn, dyn, &control.MPCSettings{Plans: 16, Low: low, High: high,
//		Fresh: []control.Generator{control.ZeroPlan{}, control.RandomPlan{Hold: 5},
//			control.BangBang{}, control.PendulumSwingUp()}})
//	pol := mpc.ObsPolicy(dyn)
//	pol.Act(action, obs)
//	worker := pol.Clone()
//
// An environment's planning hints (envs.PlanningHints: an initial
// feedback law such as the pendulum's energy-shaping swing-up) become
// generators with InitialPlans and FreshGenerators, so no planner asks
// which env it runs on. The experts of imitation learning and "mbrl eval
// --controller" are NewExpert's: LQR, whole-episode iLQR and MPC on an
// env's true dynamics as policies on observations (a continuous force
// mapped to CartPole's discrete push):
//
//	mk, err := control.NewExpert("mpc", env, control.ExpertSettings{Plans: 16})
//	pol, err := mk() // one per goroutine
package control
