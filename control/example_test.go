package control_test

import (
	"fmt"

	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
)

// Infinite-horizon LQR of the "linear" environment from its dynamics and
// quadratic cost.
func ExampleLQR_SolveInfinite() {
	dyn := envs.NewLinear(envs.DefaultLinearConfig()).Dynamics()
	p := control.Linearize(dyn, dyn, []float64{0, 0}, []float64{0})
	sol, err := p.SolveInfinite()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("K = %.4f\n", sol.K.RawMatrix().Data)
	fmt.Printf("DARE residual < 1e-9: %v\n", p.DAREResidual(sol.P) < 1e-9)
	u := make([]float64, 1)
	sol.Act(u, []float64{1, 0})
	fmt.Printf("u(x = [1 0]) = %.4f\n", u[0])
	// Output:
	// K = [-2.3053 -1.0957]
	// DARE residual < 1e-9: true
	// u(x = [1 0]) = -2.3053
}

// iLQR on a linear-quadratic problem is LQR: the first iteration is exact
// and the second only confirms convergence.
func ExampleILQR_Solve() {
	dyn := envs.NewLinear(envs.DefaultLinearConfig()).Dynamics()
	s, err := control.NewILQR(dyn, dyn, 20, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	sol, err := s.Solve([]float64{1, -1}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, it := range sol.Iters {
		fmt.Printf("iteration %d: cost %.6f alpha %g\n", it.Iter, it.Cost, it.Alpha)
	}
	fmt.Println("converged:", sol.Converged)
	ctrl := sol.Controller() // u_t = U_t + K_t (x - X_t)
	u := make([]float64, 1)
	ctrl.Mean(u, 0, []float64{1, -1})
	fmt.Printf("u_0 = %.6f\n", u[0])
	// Output:
	// iteration 1: cost 27.136522 alpha 1
	// iteration 2: cost 27.136522 alpha 0
	// converged: true
	// u_0 = -1.134442
}

// MPC as an observation-level policy on Pendulum-v1.
func ExampleMPC() {
	dyn := envs.PendulumDynamics{}
	low, high := dyn.ActionBounds()
	mpc, err := control.NewMPC(dyn, dyn, &control.MPCSettings{Low: low, High: high}) // P = 1, H = 20, 2 iterations
	if err != nil {
		fmt.Println(err)
		return
	}
	pol := mpc.ObsPolicy(dyn)
	env := envs.NewPendulum()
	obs, _ := env.SetState([]float64{0.3, 0})
	act := make([]float64, 1)
	var ret float64
	for range 100 {
		pol.Act(act, obs)
		var r float64
		obs, r, _, _ = env.Step(act)
		ret += r
	}
	x := env.State()
	fmt.Printf("upright after 100 steps: %v (return %.1f)\n", envs.AngleNormalize(x[0])*envs.AngleNormalize(x[0]) < 1e-4, ret)
	// Output:
	// upright after 100 steps: true (return -1.6)
}
