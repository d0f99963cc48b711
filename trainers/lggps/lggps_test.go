package lggps

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
	"gonum.org/v1/gonum/mat"
)

func run(t testing.TB, tr *Trainer, from, iters int) []common.Metric {
	t.Helper()
	var ms []common.Metric
	for it := from; it < from+iters; it++ {
		var err error
		if ms, err = tr.Iterate(context.Background(), it); err != nil {
			t.Fatal(err)
		}
	}
	return ms
}

func metric(ms []common.Metric, name string) float64 {
	for _, m := range ms {
		if m.Name == name {
			return m.Value
		}
	}
	return math.NaN()
}

// dynError returns the largest |F_t - [A B]| over the conditions and the
// steps from s0 on of the linear env.
func dynError(tr *Trainer, s0 int) float64 {
	cfg := envs.DefaultLinearConfig()
	var worst float64
	for k := range tr.K {
		for s := s0; s < tr.T; s++ {
			F := tr.Dynamics(k).F[s]
			for i := range 2 {
				want := []float64{cfg.A[i][0], cfg.A[i][1], cfg.B[i][0]}
				for j, w := range want {
					worst = math.Max(worst, math.Abs(F[i*3+j]-w))
				}
				worst = math.Max(worst, math.Abs(tr.Dynamics(k).Offset[s][i]))
			}
		}
	}
	return worst
}

// On the noise-free linear env the fitted dynamics are A and B: with the
// mixture prior at every step (the samples of a condition share x0 at
// t = 0, so only the prior identifies the x-columns there), without it
// from t = n = 2 on (before, the states' spread has rank < n). The
// regularisers are turned down to what noise-free data needs.
func TestLinearDynamicsRecovered(t *testing.T) {
	for _, c := range []struct {
		name     string
		strength float64
		from     int
	}{{"prior", 1, 0}, {"no prior", 0, 2}} {
		t.Run(c.name, func(t *testing.T) {
			mk, cost, pol := linearSetup(1)
			cfg := DefaultConfig()
			cfg.Conditions, cfg.Samples, cfg.Horizon, cfg.PolicyEpochs, cfg.Seed = 4, 5, 30, 1, 1
			cfg.PriorStrength, cfg.GMMReg, cfg.DynReg = c.strength, 1e-10, 1e-12
			tr, err := New(cfg, mk, cost, pol)
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			run(t, tr, 0, 1)
			if e := dynError(tr, c.from); e > 1e-6 {
				t.Fatalf("fitted dynamics differ from A, B by %g", e)
			}
		})
	}
}

// With two samples per condition (fewer than the 3 inputs + 1 of the
// regression) the fit without a prior is underdetermined; the mixture
// over all conditions' transitions fixes it.
func TestPriorBeatsNoPriorOnFewSamples(t *testing.T) {
	errs := map[float64]float64{}
	for _, strength := range []float64{0, 1} {
		mk, cost, pol := linearSetup(1)
		cfg := DefaultConfig()
		cfg.Conditions, cfg.Samples, cfg.Horizon, cfg.PolicyEpochs, cfg.Seed = 8, 2, 30, 1, 3
		cfg.PriorStrength, cfg.DynReg = strength, 1e-6
		tr, err := New(cfg, mk, cost, pol)
		if err != nil {
			t.Fatal(err)
		}
		run(t, tr, 0, 1)
		errs[strength] = dynError(tr, 1)
		tr.Close()
	}
	t.Logf("max |F - [A B]|: no prior %.3g, prior %.3g", errs[0], errs[1])
	if !(errs[1] < 1e-3 && errs[0] > 100*errs[1]) {
		t.Fatalf("prior error %g, no-prior error %g: want the prior 100x better and below 1e-3", errs[1], errs[0])
	}
}

// The KL-constrained LQG step stays within its bound, near it when the
// bound is active, and reports the KL that an independent evaluation
// finds.
func TestLQGMeetsKLBound(t *testing.T) {
	mk, cost, pol := linearSetup(1)
	cfg := DefaultConfig()
	cfg.Conditions, cfg.Samples, cfg.Horizon, cfg.PolicyEpochs, cfg.Seed = 1, 5, 40, 1, 2
	tr, err := New(cfg, mk, cost, pol)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	run(t, tr, 0, 1)
	w := tr.workers[0]
	// Rebuild this iteration's surrogate from the controller's samples.
	if err := tr.trajectoryStep(w, 0); err != nil {
		t.Fatal(err)
	}
	old := tr.ctrl[0]
	dyn := tr.Dynamics(0)
	lqg := NewLQG(tr.n, tr.m, tr.T)
	for _, eps := range []float64{0.01, 0.1, 1, 10, 100} {
		dst := control.NewLinearGaussianController(tr.n, tr.m, tr.T)
		res, err := lqg.Solve(dst, old, dyn, w.qs, tr.x0[0], eps, 1)
		if err != nil {
			t.Fatal(err)
		}
		kl, err := NewLQG(tr.n, tr.m, tr.T).KL(dst, old, dyn, tr.x0[0])
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("epsilon %g: KL %.4g (eta %.3g, %d passes)", eps, kl, res.Eta, res.Iters)
		if math.Abs(kl-res.KL) > 1e-9*math.Max(1, kl) {
			t.Errorf("epsilon %g: reported KL %g, evaluated %g", eps, res.KL, kl)
		}
		if kl > eps*(1+1e-12) {
			t.Errorf("epsilon %g: KL %g exceeds the bound", eps, kl)
		}
		if kl < (1-lqg.Tol)*eps && res.Eta > minEta {
			t.Errorf("epsilon %g: KL %g below the band with eta %g > minEta", eps, kl, res.Eta)
		}
	}
}

// On the linear env the controllers converge to the LQR solution of the
// true system from samples alone: the gains K_t of the steps t >= 10
// approach those of the finite-horizon LQR (no terminal cost) to 1e-2. The
// samples all start at the same x_0: until t = n = 2 their states span
// fewer than n directions, and until t ~ 5 they vary mostly along B, so the
// gain along the other direction is poorly identified there (up to 1e-2
// off) and changes the cost by nothing measurable. The maximum-entropy
// controllers' noise shrinks as eta falls, so the excitation, and with it
// the fit, slowly degrade once converged (0.002 to 0.004 over iterations
// 7-10). The policy term is
// switched off (rho and the dual step ~0): this tests steps 1-3, the
// trajectory optimisation, with the regularisers turned down to what
// noise-free data needs.
func TestControllersConvergeToLQR(t *testing.T) {
	mk, cost, pol := linearSetup(1)
	cfg := DefaultConfig()
	cfg.Conditions, cfg.Samples, cfg.Horizon, cfg.Seed = 2, 5, 50, 1
	cfg.KLStep, cfg.PolicyEpochs = 1, 1
	cfg.Rho, cfg.RhoGrowth, cfg.DualStep = 1e-12, 1, 1e-12
	cfg.DynReg, cfg.GMMReg = 1e-12, 1e-10
	tr, err := New(cfg, mk, cost, pol)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	env, _ := mk()
	dyn, _ := envs.DynamicsOf(env)
	lqr := control.Linearize(dyn, dyn, []float64{0, 0}, []float64{0})
	lqr.Qf = mat.NewDense(2, 2, nil) // no terminal cost
	fin, err := lqr.SolveFinite(tr.T)
	if err != nil {
		t.Fatal(err)
	}
	ws := 0
	gap := func() float64 {
		var worst float64
		for k := range tr.K {
			K, _, _ := tr.Controller(k)
			for s := 10; s < tr.T; s++ {
				for j := range 2 {
					if d := math.Abs(K[s][j] - fin.K[s].At(0, j)); d > worst {
						worst, ws = d, s
					}
				}
			}
		}
		return worst
	}
	first := gap()
	var ms []common.Metric
	for it := range 10 {
		ms = run(t, tr, it, 1)
		t.Logf("iteration %d: gap %.3g at %d, epsilon %.3g, cost %.6g", it, gap(), ws, metric(ms, "epsilon"), metric(ms, "traj_cost"))
	}
	last := gap()
	t.Logf("LQR gain K_10 = %.4f: controllers within %.3g at the start, %.3g after 10 iterations (cost %.4g, %g env steps)",
		[]float64{fin.K[10].At(0, 0), fin.K[10].At(0, 1)}, first, last, metric(ms, "traj_cost"), metric(ms, "env_steps"))
	if last > 1e-2 {
		t.Fatalf("controller gains differ from LQR's by %g", last)
	}
}

// The trainer never touches the env's known dynamics: only Reset,
// SetState, State, Step and the cost's value.
func TestNoDynamicsCalled(t *testing.T) {
	calls := 0
	mk := func() (envs.Env, error) {
		e, err := envs.Make("pendulum")
		if err != nil {
			return nil, err
		}
		d, _ := envs.DynamicsOf(e)
		return &spyEnv{Env: e, dyn: &spyDynamics{Dynamics: d, calls: &calls}}, nil
	}
	env, _ := mk()
	cost, ok := CostOf(env)
	if !ok {
		t.Fatal("no cost")
	}
	_, _, pol := pendulumSetup(t, 1)
	cfg := DefaultConfig()
	cfg.Conditions, cfg.Samples, cfg.Horizon, cfg.PolicyEpochs, cfg.Seed = 2, 3, 20, 1, 1
	for _, ic := range initCases {
		cfg.ModelInit = ic.mi
		tr, err := New(cfg, mk, cost, pol)
		if err != nil {
			t.Fatal(err)
		}
		run(t, tr, 0, 2)
		tr.Close()
		if calls != 0 {
			t.Fatalf("%s init: the trainer called the env's dynamics %d times", ic.name, calls)
		}
	}
}

func smallPendulum(t testing.TB, workers int, mi ModelInit) *Trainer {
	mk, cost, pol := pendulumSetup(t, 7)
	cfg := DefaultConfig()
	cfg.Conditions, cfg.Samples, cfg.Horizon, cfg.PolicyEpochs, cfg.Batch, cfg.Seed = 3, 3, 25, 2, 32, 7
	cfg.Workers, cfg.ModelInit = workers, mi
	tr, err := New(cfg, mk, cost, pol)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func sameRun(t *testing.T, a, b *Trainer, ma, mb []common.Metric) {
	t.Helper()
	for i := range ma {
		if ma[i] != mb[i] {
			t.Fatalf("metric %s: %v vs %v", ma[i].Name, ma[i].Value, mb[i].Value)
		}
	}
	pa, pb := a.pol.Params(), b.pol.Params()
	for i := range pa {
		for j, v := range pa[i].Data() {
			if v != pb[i].Data()[j] {
				t.Fatalf("weight %s[%d]: %v vs %v", pa[i].Name, j, v, pb[i].Data()[j])
			}
		}
	}
	for k := range a.K {
		Ka, ka, Sa := a.Controller(k)
		Kb, kb, Sb := b.Controller(k)
		for s := range Ka {
			for j := range Ka[s] {
				if Ka[s][j] != Kb[s][j] {
					t.Fatalf("condition %d gain %d: %v vs %v", k, s, Ka[s][j], Kb[s][j])
				}
			}
			if ka[s][0] != kb[s][0] || Sa[s][0] != Sb[s][0] {
				t.Fatalf("condition %d step %d: controllers differ", k, s)
			}
		}
	}
}

// initCases are the zero and the model initialisations.
var initCases = []struct {
	name string
	mi   ModelInit
}{{"zero", ModelInit{}}, {"model", tinyModelInit()}}

// The same seed gives the same run bit for bit with 1 or 3 workers.
func TestDeterministicAcrossWorkers(t *testing.T) {
	for _, ic := range initCases {
		t.Run(ic.name, func(t *testing.T) {
			a, b := smallPendulum(t, 1, ic.mi), smallPendulum(t, 3, ic.mi)
			defer a.Close()
			defer b.Close()
			sameRun(t, a, b, run(t, a, 0, 3), run(t, b, 0, 3))
		})
	}
}

// Saving after 2 iterations and resuming into a fresh trainer gives the
// third iteration of an uninterrupted run bit for bit (the model
// initialisation is not run again: the controllers carry it).
func TestResumeBitExact(t *testing.T) {
	for _, ic := range initCases {
		t.Run(ic.name, func(t *testing.T) { resumeBitExact(t, ic.mi) })
	}
}

func resumeBitExact(t *testing.T, mi ModelInit) {
	a := smallPendulum(t, 2, mi)
	defer a.Close()
	want := run(t, a, 0, 3)
	b := smallPendulum(t, 2, mi)
	defer b.Close()
	run(t, b, 0, 2)
	raw, err := b.State()
	if err != nil {
		t.Fatal(err)
	}
	c := smallPendulum(t, 1, mi)
	defer c.Close()
	for i, p := range b.pol.Params() {
		copy(c.pol.Params()[i].Data(), p.Data())
	}
	if err := c.Restore(raw); err != nil {
		t.Fatal(err)
	}
	got := run(t, c, 2, 1)
	sameRun(t, a, c, want, got)
	if c.EnvSteps() != a.EnvSteps() || c.initSteps != a.initSteps {
		t.Fatalf("resumed env steps %d (init %d), want %d (%d)", c.EnvSteps(), c.initSteps, a.EnvSteps(), a.initSteps)
	}
	if err := c.Restore([]byte(`{"k":[]}`)); err == nil {
		t.Fatal("restoring a mismatched state succeeded")
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*Config)
	}{
		{"conditions", func(c *Config) { c.Conditions = 0 }},
		{"samples", func(c *Config) { c.Samples = 0 }},
		{"horizon", func(c *Config) { c.Horizon = -1 }},
		{"init std", func(c *Config) { c.InitStd = 0 }},
		{"kl step", func(c *Config) { c.KLStep = math.NaN() }},
		{"step mult", func(c *Config) { c.MaxStepMult = 0.01 }},
		{"clusters", func(c *Config) { c.Clusters = 0 }},
		{"prior", func(c *Config) { c.PriorStrength = -1 }},
		{"fd step", func(c *Config) { c.FDStep = 1 }},
		{"rho", func(c *Config) { c.Rho = 0 }},
		{"rho max", func(c *Config) { c.RhoMax = 0.5 }},
		{"lr", func(c *Config) { c.Adam.LR = 0 }},
		{"workers", func(c *Config) { c.Workers = -1 }},
		{"init episodes", func(c *Config) { c.ModelInit.Episodes = -1 }},
		{"init epochs", func(c *Config) { c.ModelInit = DefaultModelInit(); c.ModelInit.Epochs = 0 }},
		{"init plans", func(c *Config) { c.ModelInit = DefaultModelInit(); c.ModelInit.Plans = 0 }},
		{"init rounds", func(c *Config) { c.ModelInit = DefaultModelInit(); c.ModelInit.Rounds = 0 }},
		{"init refit epochs", func(c *Config) { c.ModelInit = DefaultModelInit(); c.ModelInit.RefitEpochs = -1 }},
		{"max ent", func(c *Config) { c.MaxEnt = -0.5 }},
		{"two inits", func(c *Config) { c.ModelInit = DefaultModelInit(); c.Init = func(dst, _ []float64) { clear(dst) } }},
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		cfg := DefaultConfig()
		c.mod(&cfg)
		if err := cfg.Validate(); err == nil {
			t.Errorf("%s: invalid config accepted", c.name)
		}
	}
}

// A mixture fitted to two separated blobs puts a component on each.
func TestGMMSeparatesClusters(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var data [][]float64
	for i := range 400 {
		c := float64(i%2)*10 - 5
		data = append(data, []float64{c + rng.NormFloat64(), rng.NormFloat64()})
	}
	g := FitGMM(data, 2, 20, 1e-6, rand.New(rand.NewPCG(1, 3)))
	mu0, s0 := make([]float64, 2), make([]float64, 4)
	g.Prior(mu0, s0, [][]float64{{5, 0}}, make([]float64, 2*g.Components()+2))
	if math.Abs(mu0[0]-5) > 0.3 || math.Abs(s0[0]-1) > 0.3 {
		t.Fatalf("prior at (5, 0): mean %v, covariance %v; want the blob at 5 with unit variance", mu0, s0)
	}
}
