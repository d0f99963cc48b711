// Package envs holds the environments of mbrl: Gymnasium-style episodic
// environments (Env: Reset, Step with terminated apart from truncated), their
// observation and action spaces, a registry by name, and for environments
// whose dynamics are known (Known) the transition f(x, u), its Jacobians, a
// cost with its derivatives and the same transition and cost as Gorgonia
// graph operations (Dynamics), for LQR/iLQR and for backpropagation through
// the true dynamics.
//
// The environments follow their published definitions to the letter so that
// returns compare with published numbers:
//
//	pendulum             Gymnasium Pendulum-v1                (Pendulum)
//	cartpole             Gymnasium CartPole-v1                (CartPole)
//	cartpole-continuous  CartPole-v1 physics, force in [-10, 10] (CartPoleContinuous)
//	linear               x' = A x + B u, cost x'Qx + u'Ru      (Linear)
//	maze                 Sutton & Barto Example 8.1 Dyna maze  (Maze)
//
// Use:
//
//	env, err := envs.Make("pendulum")
//	if err != nil { ... }
//	rng := rand.New(rand.NewPCG(seed, 0))
//	obs := env.Reset(rng)
//	a := make([]float64, env.ActionSpace().Dim())
//	for done := false; !done; {
//		env.ActionSpace().Sample(a, rng) // or a policy of obs
//		var r float64
//		var term, trunc bool
//		obs, r, term, trunc = env.Step(a)
//		done = term || trunc
//	}
//	if dyn, ok := envs.DynamicsOf(env); ok {
//		dyn.Jacobians(fx, fu, x, u) // fx [n, n], fu [n, m], row-major
//	}
//
// An environment with known dynamics may give hints to trajectory
// optimisers as plain data (PlanningHints, HintsOf): the pendulum hints its
// energy-shaping swing-up as the initial plan and that its angle is seen
// modulo 2 pi. Infos lists the registered environments.
//
// Environments are not safe for concurrent use: make one per goroutine. All
// randomness comes from the *rand.Rand passed to Reset. CheckEnv checks an
// environment against the Env contract.
package envs
