// Package dp computes the finite-horizon optimum of an environment with
// known dynamics and a two-dimensional state by dynamic programming on a
// grid (Bellman 1957; Bertsekas, "Dynamic Programming and Optimal Control",
// vol. 1, ch. 1, eq. 1.3 and the discretisation of ch. 6): with the terminal
// value V_H = 0 and, for t = H-1, ..., 0,
//
//	V_t(x) = min_{u in U} c(x, u) + V_{t+1}(f(x, u)),
//
// where U is a fine, evenly spaced set of actions over the action bounds,
// x runs over a regular grid of the state box (a periodic dimension, such as
// an angle, wraps around) and V_{t+1} between grid points is the bilinear
// interpolation of its table. The dynamics are time-invariant, so the
// interpolation cell and weights of f(x, u) and the cost c(x, u) are
// computed once per (grid point, action) and reused by all H backward
// steps; each step is parallel over grid rows, and every grid value is
// computed by one goroutine in a fixed order, so the tables are bit for bit
// the same whatever the number of workers.
//
// The greedy policy of the solution is time-varying: at step t of an
// episode it applies pi_t(x) = argmin_u c(x, u) + V_{t+1}(f(x, u)) on the
// exact continuous state x (f and c evaluated exactly, only V_{t+1}
// interpolated). Its episode counter is reset by Reset, so it plugs into
// trainers/common's evaluation as a Policy and Resetter.
//
// Use, on Gymnasium's Pendulum-v1 (200 steps, theta periodic over
// [-pi, pi), thetadot in [-8, 8]):
//
//	env, _ := envs.Make("pendulum")
//	sol, err := dp.SolveEnv(env, dp.DefaultConfig()) // 512x513 grid, 41 torques
//	if err != nil { ... }
//	pol := sol.NewPolicy() // one per goroutine; the tables are shared
//	pol.Reset(nil)
//	pol.Act(action, obs)
//
// Memory: the value tables, kept for the policy, take 8 (H+1) (N0+1)
// (N1+1) bytes (423 MB for the default grid and H = 200); the
// per-(point, action) transition table, 20 N0 N1 A bytes (215 MB), lives
// only while solving.
package dp
