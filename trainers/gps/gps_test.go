package gps

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
)

// linearSetup returns the linear env, its system, a linear policy u = W'x + b
// and the infinite-horizon LQR gain K [m, n].
func linearSetup(t testing.TB, seed uint64) (envs.Env, *TrueSystem, MLPPolicy, []float64) {
	t.Helper()
	env, err := envs.Make("linear")
	if err != nil {
		t.Fatal(err)
	}
	dyn, _ := envs.DynamicsOf(env)
	n, m := dyn.StateDim(), dyn.ActionDim()
	lqr := control.Linearize(dyn, dyn, make([]float64, n), make([]float64, m))
	sol, err := lqr.SolveInfinite()
	if err != nil {
		t.Fatal(err)
	}
	pol := MLPPolicy{nn.NewMLP("policy", []int{n, m}, nn.Identity, rand.New(rand.NewPCG(seed, 0)))}
	return env, NewTrueSystem(dyn), pol, append([]float64(nil), sol.K.RawMatrix().Data...)
}

// pendulumSetup returns pendulum, its system and a small tanh policy.
func pendulumSetup(t testing.TB, hidden []int, seed uint64) (envs.Env, *TrueSystem, *nn.DeterministicPolicy) {
	t.Helper()
	env, err := envs.Make("pendulum")
	if err != nil {
		t.Fatal(err)
	}
	dyn, _ := envs.DynamicsOf(env)
	lo, hi := dyn.ActionBounds()
	pol, err := nn.NewDeterministicPolicy("policy", nn.PolicyArch{
		ObsDim: 3, ActDim: 1, Hidden: hidden, Activation: nn.Tanh, Low: lo, High: hi,
	}, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		t.Fatal(err)
	}
	return env, NewTrueSystem(dyn), pol
}

// gain reads K [m, n] off a linear policy (W is stored [n, m]).
func gain(p MLPPolicy) []float64 {
	w := p.Params()[0].Data()
	n, m := p.In(), p.Out()
	k := make([]float64, m*n)
	for i := range m {
		for j := range n {
			k[i*n+j] = w[j*m+i]
		}
	}
	return k
}

func relErr(a, b []float64) float64 {
	var d, s float64
	for i := range a {
		d += (a[i] - b[i]) * (a[i] - b[i])
		s += b[i] * b[i]
	}
	return math.Sqrt(d / s)
}

func run(t testing.TB, tr *Trainer, iters int) [][]common.Metric {
	t.Helper()
	var out [][]common.Metric
	for it := range iters {
		ms, err := tr.Iterate(context.Background(), it)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ms)
	}
	return out
}

func metric(ms []common.Metric, name string) float64 {
	for _, m := range ms {
		if m.Name == name {
			return m.Value
		}
	}
	return math.NaN()
}

func TestLagrangianDerivatives(t *testing.T) {
	// l_x and l_u against central differences of l on the pendulum with a
	// tanh policy (chain rule through the observation map); on the linear
	// system with a linear policy the Gauss-Newton Hessians are exact, so
	// l_xx, l_uu and l_ux are checked too (against differences of l_x, l_u).
	env, psys, ppol := pendulumSetup(t, []int{8}, 3)
	_ = env
	_, lsys, lpol, _ := linearSetup(t, 3)
	cases := []struct {
		name    string
		sys     System
		pol     Policy
		x, u    []float64
		hessian bool
	}{
		{"pendulum tanh policy", psys, ppol, []float64{2.3, -1.1}, []float64{0.7}, false},
		{"pendulum near upright", psys, ppol, []float64{-0.2, 3}, []float64{-1.9}, false},
		{"linear, linear policy", lsys, lpol, []float64{0.4, -0.8}, []float64{0.3}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, m := c.sys.StateDim(), c.sys.ActionDim()
			l := NewLagrangian(c.sys, c.pol)
			l.Lambda, l.Rho = [][]float64{{0.37}}, []float64{2.5}
			eval := func(x, u []float64) *envs.CostDerivs {
				d := envs.NewCostDerivs(n, m)
				l.Add(0, x, u, d)
				return d
			}
			d := eval(c.x, c.u)
			const h = 1e-6
			x, u := append([]float64(nil), c.x...), append([]float64(nil), c.u...)
			check := func(what string, got, want float64) {
				t.Helper()
				if math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
					t.Errorf("%s = %.10g, central difference %.10g", what, got, want)
				}
			}
			for j := range n {
				x[j] = c.x[j] + h
				p := eval(x, u)
				x[j] = c.x[j] - h
				q := eval(x, u)
				x[j] = c.x[j]
				check("l_x", d.Lx[j], (p.L-q.L)/(2*h))
				if c.hessian {
					for i := range n {
						check("l_xx", d.Lxx[i*n+j], (p.Lx[i]-q.Lx[i])/(2*h))
					}
					for i := range m {
						check("l_ux", d.Lux[i*n+j], (p.Lu[i]-q.Lu[i])/(2*h))
					}
				}
			}
			for i := range m {
				u[i] = c.u[i] + h
				p := eval(x, u)
				u[i] = c.u[i] - h
				q := eval(x, u)
				u[i] = c.u[i]
				check("l_u", d.Lu[i], (p.L-q.L)/(2*h))
				for k := range m {
					check("l_uu", d.Luu[k*m+i], (p.Lu[k]-q.Lu[k])/(2*h))
				}
			}
		})
	}
}

func TestLinearConvergesToLQRGain(t *testing.T) {
	// On x' = Ax + Bu with cost x'Qx + u'Ru, GPS with the linear policy
	// u = Kx + b must find the infinite-horizon LQR gain. With the
	// constraint met, the trajectories are the policy's closed-loop
	// rollouts, so GPS's optimum is the best stationary gain for the
	// T-step cost from the conditions. The finite-horizon optimum u_t =
	// K_t x_t has K_t equal to the DARE gain K_inf up to rho_cl^(2(T-t))
	// (the Riccati recursion converges geometrically), and the last steps,
	// where K_t differs, see states shrunk by rho_cl^t: with T = 100 the
	// best stationary gain is K_inf to far below 1e-3 (and K_0 = K_inf to
	// machine precision).
	env, sys, pol, kLQR := linearSetup(t, 1)
	tr, err := New(Config{Conditions: 4, Batch: 400, PolicyEpochs: 50, Adam: nn.Adam{LR: 3e-2}, Seed: 1}, env, sys, pol)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	hist := run(t, tr, 50)
	first, last := hist[0], hist[len(hist)-1]
	e := relErr(gain(pol), kLQR)
	b := pol.Params()[1].Data()[0]
	t.Logf("K = %v, LQR %v: relative error %.2e, bias %.1e; RMS violation %.2e -> %.2e",
		gain(pol), kLQR, e, b, metric(first, "violation_rms"), metric(last, "violation_rms"))
	if e > 1e-3 {
		t.Errorf("gain %v is %.2e from the LQR gain %v (want < 1e-3)", gain(pol), e, kLQR)
	}
	if math.Abs(b) > 1e-3 {
		t.Errorf("bias %g, want ~0 (the LQR law has none)", b)
	}
	if v := metric(last, "violation_rms"); v > 1e-3 || v > metric(first, "violation_rms")/10 {
		t.Errorf("RMS violation %.2e after %d iterations (first %.2e), want ~0", v, len(hist), metric(first, "violation_rms"))
	}
	if math.Abs(metric(last, "policy_cost")-metric(last, "traj_cost")) > 1e-4*metric(last, "traj_cost") {
		t.Errorf("policy alone costs %g, the trajectories %g", metric(last, "policy_cost"), metric(last, "traj_cost"))
	}
}
