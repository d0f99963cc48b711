package gps

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
	"gonum.org/v1/gonum/mat"
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
	// u = Kx + b must find the LQR gain. With the constraint met, the
	// trajectories are the policy's closed-loop rollouts, so GPS's optimum
	// is the best stationary gain for the T-step cost from the conditions.
	// The finite-horizon optimum u_t = K_t x_t (T = 100, no terminal cost,
	// as GPS's c(tau)) has K_t equal to the DARE gain K_inf up to terms
	// that decay geometrically with T - t, and the last steps, where K_t
	// differs, see states shrunk geometrically by the closed loop: the best
	// stationary gain is K_inf (= K_0) to far below 1e-3. The penalty is
	// held at rho = 1 (the constant-penalty ADMM form); the adaptive
	// default also gets within ~1e-3 but wanders at the fit's noise floor.
	env, sys, pol, kInf := linearSetup(t, 1)
	dyn, _ := envs.DynamicsOf(env)
	lqr := control.Linearize(dyn, dyn, make([]float64, 2), make([]float64, 1))
	lqr.Qf = mat.NewDense(2, 2, nil)
	fin, err := lqr.SolveFinite(100)
	if err != nil {
		t.Fatal(err)
	}
	k0 := fin.K[0].RawMatrix().Data
	if e := relErr(k0, kInf); e > 1e-9 {
		t.Fatalf("finite-horizon K_0 %v differs from K_inf %v by %.1e", k0, kInf, e)
	}
	tr, err := New(config.With(DefaultConfig(), func(c *Config) {
		c.Conditions = 4
		c.Batch = 400
		c.PolicyEpochs = 50
		c.Adam = nn.Adam{LR: 3e-2}
		c.LRFloor = 1e-3
		c.RhoSchedule = []RhoStage{{From: 0, Rho: 1}}
		c.Seed = 1
	}), env, sys, pol)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	hist := run(t, tr, 50)
	first, last := hist[0], hist[len(hist)-1]
	e := relErr(gain(pol), kInf)
	b := pol.Params()[1].Data()[0]
	t.Logf("K = %v, LQR %v: relative error %.2e, bias %.1e; RMS violation %.2e -> %.2e",
		gain(pol), kInf, e, b, metric(first, "violation_rms"), metric(last, "violation_rms"))
	if e > 1e-3 {
		t.Errorf("gain %v is %.2e from the LQR gain %v (want < 1e-3)", gain(pol), e, kInf)
	}
	if math.Abs(b) > 1e-3 {
		t.Errorf("bias %g, want ~0 (the LQR law has none)", b)
	}
	if v := metric(last, "violation_rms"); v > 1e-3 || v > metric(first, "violation_rms")/100 {
		t.Errorf("RMS violation %.2e after %d iterations (first %.2e), want ~0", v, len(hist), metric(first, "violation_rms"))
	}
	if math.Abs(metric(last, "policy_cost")-metric(last, "traj_cost")) > 1e-5*metric(last, "traj_cost") {
		t.Errorf("policy alone costs %g, the trajectories %g", metric(last, "policy_cost"), metric(last, "traj_cost"))
	}
}

// smallPendulum is a cheap pendulum trainer for the behavioural tests.
func smallPendulum(t testing.TB, cfg Config) (*Trainer, *nn.DeterministicPolicy) {
	t.Helper()
	env, sys, pol := pendulumSetup(t, []int{16}, cfg.Seed)
	// Fields the test left at their defaults get the small problem's values.
	d := DefaultConfig()
	if cfg.Conditions == d.Conditions {
		cfg.Conditions = 3
	}
	if cfg.Horizon == d.Horizon {
		cfg.Horizon = 60
	}
	if cfg.PolicyEpochs == d.PolicyEpochs {
		cfg.PolicyEpochs = 10
	}
	if cfg.Adam.LR == d.Adam.LR {
		cfg.Adam.LR = 1e-2
	}
	if cfg.Batch == d.Batch {
		cfg.Batch = 64
	}
	cfg.Init = []control.Generator{control.ZeroPlan{}, control.PendulumSwingUp()}
	tr, err := New(cfg, env, sys, pol)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	return tr, pol
}

func TestViolationDecreasesAndLambdaFollowsIt(t *testing.T) {
	cases := []struct {
		name     string
		dualStep float64 // 0: 2 rho
	}{
		{"method of multipliers", 0},
		{"fixed dual step", 0.5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr, _ := smallPendulum(t, config.With(DefaultConfig(), func(cf *Config) {
				cf.DualStep = c.dualStep
				cf.Seed = 2
			}))
			var viol []float64
			for it := range 8 {
				before := make([][][]float64, tr.K)
				rho := make([][]float64, tr.K)
				for k := range tr.K {
					before[k], rho[k] = tr.Lambda(k), tr.Rho(k)
				}
				ms, err := tr.Iterate(context.Background(), it)
				if err != nil {
					t.Fatal(err)
				}
				viol = append(viol, metric(ms, "violation"))
				for k := range tr.K {
					after, g := tr.Lambda(k), tr.Violation(k)
					for s := range after {
						alpha := c.dualStep
						if alpha == 0 {
							alpha = 2 * rho[k][s]
						}
						d, want := after[s][0]-before[k][s][0], alpha*g[s][0]
						if math.Abs(d-want) > 1e-12*math.Max(1, math.Abs(before[k][s][0])) || d*g[s][0] < 0 {
							t.Fatalf("iteration %d, condition %d, step %d: lambda moved by %g, violation %g (want alpha g = %g)", it, k, s, d, g[s][0], want)
						}
					}
				}
			}
			t.Logf("mean violation per iteration: %.3g", viol)
			if last := viol[len(viol)-1]; !(last < viol[0]/4) {
				t.Errorf("violation %.3g after %d iterations, first %.3g: want a 4x decrease", last, len(viol), viol[0])
			}
		})
	}
}

func weights(p Policy) [][]float64 {
	var out [][]float64
	for _, q := range p.Params() {
		out = append(out, append([]float64(nil), q.Data()...))
	}
	return out
}

func sameWeights(t *testing.T, what string, a, b [][]float64) {
	t.Helper()
	for i := range a {
		for j := range a[i] {
			if math.Float64bits(a[i][j]) != math.Float64bits(b[i][j]) {
				t.Fatalf("%s: weight %d[%d] differs: %v vs %v", what, i, j, a[i][j], b[i][j])
			}
		}
	}
}

func TestSameSeedSameWeights(t *testing.T) {
	// Same seed, any number of workers: bit-identical weights and metrics.
	var ref [][]float64
	var refMetrics []common.Metric
	for _, workers := range []int{1, 3, 2} {
		tr, pol := smallPendulum(t, config.With(DefaultConfig(), func(c *Config) {
			c.Workers = workers
			c.Seed = 5
		}))
		hist := run(t, tr, 3)
		w := weights(pol)
		if ref == nil {
			ref, refMetrics = w, hist[2]
			continue
		}
		sameWeights(t, "workers "+strconv.Itoa(workers), ref, w)
		for i, m := range hist[2] {
			if math.Float64bits(m.Value) != math.Float64bits(refMetrics[i].Value) {
				t.Fatalf("workers %d: metric %s = %v, with 1 worker %v", workers, m.Name, m.Value, refMetrics[i].Value)
			}
		}
	}
	other, pol := smallPendulum(t, config.With(DefaultConfig(), func(c *Config) {
		c.Seed = 6
	}))
	run(t, other, 3)
	if w := weights(pol); w[0][0] == ref[0][0] {
		t.Errorf("seeds 5 and 6 gave the same first weight %v", w[0][0])
	}
}

func TestResumeIsBitExact(t *testing.T) {
	// Three iterations straight equal two, State, a fresh trainer with the
	// weights and Restore, and a third.
	straight, polA := smallPendulum(t, config.With(DefaultConfig(), func(c *Config) {
		c.Seed = 7
	}))
	run(t, straight, 3)

	first, polB := smallPendulum(t, config.With(DefaultConfig(), func(c *Config) {
		c.Seed = 7
	}))
	run(t, first, 2)
	st, err := first.State()
	if err != nil {
		t.Fatal(err)
	}
	resumed, polC := smallPendulum(t, config.With(DefaultConfig(), func(c *Config) {
		c.Seed = 7
	}))
	for i, p := range polC.Params() {
		copy(p.Data(), polB.Params()[i].Data())
	}
	if err := resumed.Restore(st); err != nil {
		t.Fatal(err)
	}
	if _, err := resumed.Iterate(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	sameWeights(t, "resumed", weights(polA), weights(polC))
	for k := range straight.K {
		a, b := straight.Lambda(k), resumed.Lambda(k)
		for s := range a {
			if a[s][0] != b[s][0] {
				t.Fatalf("lambda of condition %d step %d: %v straight, %v resumed", k, s, a[s][0], b[s][0])
			}
		}
	}
	// A state of another shape is refused.
	bigger, _ := smallPendulum(t, config.With(DefaultConfig(), func(c *Config) {
		c.Seed = 7
		c.Conditions = 4
	}))
	if err := bigger.Restore(st); err == nil || !strings.Contains(err.Error(), "conditions") {
		t.Errorf("restoring 3 conditions into 4: error %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	env, sys, pol := pendulumSetup(t, []int{4}, 1)
	_, lsys, _, _ := linearSetup(t, 1)
	maze, _ := envs.Make("maze")
	cases := []struct {
		name string
		cfg  Config
		env  envs.Env
		sys  System
		want string
	}{
		{"negative conditions", config.With(DefaultConfig(), func(c *Config) {
			c.Conditions = -1
		}), env, sys, "Conditions"},
		{"negative horizon", config.With(DefaultConfig(), func(c *Config) {
			c.Horizon = -5
		}), env, sys, "Horizon"},
		{"negative rho", config.With(DefaultConfig(), func(c *Config) {
			c.Rho = -1
		}), env, sys, "Rho must"},
		{"rho max below rho", config.With(DefaultConfig(), func(c *Config) {
			c.Rho = 10
			c.RhoMax = 5
		}), env, sys, "RhoMax"},
		{"shrinking growth", config.With(DefaultConfig(), func(c *Config) {
			c.RhoGrowth = 0.5
		}), env, sys, "RhoGrowth"},
		{"negative dual step", config.With(DefaultConfig(), func(c *Config) {
			c.DualStep = -1
		}), env, sys, "DualStep"},
		{"NaN learning rate", config.With(DefaultConfig(), func(c *Config) {
			c.Adam = nn.Adam{LR: math.NaN()}
		}), env, sys, "Adam.LR"},
		{"LR floor above 1", config.With(DefaultConfig(), func(c *Config) {
			c.LRFloor = 2
		}), env, sys, "LRFloor"},
		{"negative feedback samples", config.With(DefaultConfig(), func(c *Config) {
			c.FeedbackSamples = -1
		}), env, sys, "FeedbackSamples"},
		{"bad schedule", config.With(DefaultConfig(), func(c *Config) {
			c.RhoSchedule = []RhoStage{{From: 3, Rho: 1}, {From: 2, Rho: 2}}
		}), env, sys, "increase"},
		{"discrete env", DefaultConfig(), maze, sys, "discrete"},
		{"policy of another system", DefaultConfig(), env, lsys, "maps 3 -> 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr, err := New(c.cfg, c.env, c.sys, pol)
			if err == nil {
				tr.Close()
				t.Fatalf("no error")
			}
			if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "gps: ") {
				t.Fatalf("error %q does not start with gps: and mention %q", err, c.want)
			}
		})
	}
}

func TestParseRhoSchedule(t *testing.T) {
	cases := []struct {
		in   string
		want []RhoStage
		err  bool
	}{
		{"", nil, false},
		{"adaptive", nil, false},
		{"0:1", []RhoStage{{0, 1}}, false},
		{" 5:10, 10:1e2 ", []RhoStage{{5, 10}, {10, 100}}, false},
		{"5", nil, true},
		{"a:1", nil, true},
		{"1:x", nil, true},
		{"1:0", nil, true},
		{"-1:2", nil, true},
		{"4:1,4:2", nil, true},
	}
	for _, c := range cases {
		got, err := ParseRhoSchedule(c.in)
		if (err != nil) != c.err {
			t.Errorf("%q: error %v, want error %v", c.in, err, c.err)
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("%q: %v, want %v", c.in, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q: %v, want %v", c.in, got, c.want)
			}
		}
	}
}

func TestLearnedModelSystem(t *testing.T) {
	// GPS on a learned pendulum model (untrained: the test is about the
	// wiring): the state is the observation, the policy's input is the
	// state, the iterations run and the violation falls.
	env, _, pol := pendulumSetup(t, []int{8}, 4)
	dyn, _ := envs.DynamicsOf(env)
	dm, err := nn.NewDynamicsModel("dynamics", nn.DynamicsArch{ObsDim: 3, ActDim: 1, Hidden: []int{8}, Activation: nn.Tanh}, rand.New(rand.NewPCG(4, 1)))
	if err != nil {
		t.Fatal(err)
	}
	sys, err := NewModelSystem(dm, env)
	if err != nil {
		t.Fatal(err)
	}
	if sys.StateDim() != 3 || sys.ObsDim() != 3 {
		t.Fatalf("state %d, obs %d, want 3 and 3", sys.StateDim(), sys.ObsDim())
	}
	x := []float64{0.6, 0.8, -1.5}
	c := sys.Cost(x, []float64{0.5})
	if want := dyn.Cost([]float64{math.Atan2(0.8, 0.6), -1.5}, []float64{0.5}); math.Abs(c-want) > 1e-12 {
		t.Errorf("cost of the observation %g, the env's %g", c, want)
	}
	tr, err := New(config.With(DefaultConfig(), func(c *Config) {
		c.Conditions = 2
		c.Horizon = 30
		c.PolicyEpochs = 5
		c.Batch = 32
		c.Adam = nn.Adam{LR: 1e-2}
		c.Seed = 4
		c.Init = []control.Generator{control.ZeroPlan{}, ObsPlan(control.PendulumSwingUp(), dyn)}
	}), env, sys, pol)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	for k, x0 := range tr.Conditions() {
		if r := math.Hypot(x0[0], x0[1]); math.Abs(r-1) > 1e-12 {
			t.Fatalf("condition %d = %v is not a pendulum observation", k, x0)
		}
	}
	hist := run(t, tr, 5)
	v0, v1 := metric(hist[0], "violation"), metric(hist[4], "violation")
	t.Logf("violation %.3g -> %.3g", v0, v1)
	if !(v1 < v0/2) {
		t.Errorf("violation %.3g -> %.3g, want at least halved", v0, v1)
	}
	if _, err := NewModelSystem(dm, envs.NewLinear(envs.DefaultLinearConfig())); err == nil {
		t.Errorf("a pendulum model accepted for the linear env")
	}
}

func TestFeedbackSamplesFollowTheLocalController(t *testing.T) {
	// With FeedbackSamples = 2, each trajectory step gives the regression
	// its own row and two rows at perturbed states x_t + delta with the
	// target u_t + K_t delta - lambda_t/(2 rho_t), K_t the iLQR gains.
	env, sys, pol, _ := linearSetup(t, 8)
	tr, err := New(config.With(DefaultConfig(), func(c *Config) {
		c.Conditions = 2
		c.Horizon = 20
		c.FeedbackSamples = 2
		c.FeedbackNoise = 0.1
		c.Seed = 8
	}), env, sys, pol)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	run(t, tr, 2)
	// One more policy step, so that its rows use the current lambda.
	if _, err := tr.policyStep(context.Background()); err != nil {
		t.Fatal(err)
	}
	n, row, perturbed := 2, 0, 0
	for k := range tr.K {
		for s := range tr.T {
			lam, rho := tr.lambda[k][s][0], tr.rho[k][s]
			for j := range 3 {
				x := tr.fit.Xs[row*n : (row+1)*n]
				var want float64
				d := []float64{x[0] - tr.X[k][s][0], x[1] - tr.X[k][s][1]}
				if j == 0 {
					if d[0] != 0 || d[1] != 0 {
						t.Fatalf("condition %d step %d: first row at %v, not the trajectory's %v", k, s, x, tr.X[k][s])
					}
				} else {
					perturbed++
				}
				want = tr.U[k][s][0] + tr.gains[k][s][0]*d[0] + tr.gains[k][s][1]*d[1] - lam/(2*rho)
				if got := tr.fit.Ys[row]; math.Abs(got-want) > 1e-12 {
					t.Fatalf("condition %d step %d row %d: target %g, want %g", k, s, j, got, want)
				}
				row++
			}
		}
	}
	if row != len(tr.fit.Ws) || perturbed != 2*tr.K*tr.T {
		t.Fatalf("%d rows, %d perturbed; want %d and %d", row, perturbed, len(tr.fit.Ws), 2*tr.K*tr.T)
	}
	var nonzero bool
	for _, g := range tr.gains[0] {
		nonzero = nonzero || g[0] != 0
	}
	if !nonzero {
		t.Fatalf("the iLQR gains are all zero")
	}
}

// TestPolicyStepStopsOnCancel: a policy step of a billion epochs returns
// the context's error at once when the context is cancelled (before, SIGTERM
// waited for the whole regression: 43 minutes and counting).
func TestPolicyStepStopsOnCancel(t *testing.T) {
	env, sys, pol, _ := linearSetup(t, 3)
	tr, err := New(config.With(DefaultConfig(), func(c *Config) {
		c.Conditions, c.Horizon, c.PolicyEpochs, c.Seed = 2, 10, 1_000_000_000, 3
	}), env, sys, pol)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err = tr.Iterate(ctx, 0)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Iterate with a cancelled context: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Iterate took %v after the cancel", d)
	}
}
