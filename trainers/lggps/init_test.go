package lggps

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
)

// tinyModelInit is a model initialisation small enough for the
// determinism, resume and no-dynamics tests (it swings nothing up).
func tinyModelInit() ModelInit {
	mi := DefaultModelInit()
	mi.Episodes, mi.Steps, mi.Hidden, mi.Epochs = 2, 20, []int{8}, 3
	return mi
}

// From samples alone (random episodes, a fitted model, MPC on it) the
// initial controllers swing the pendulum up from every condition: their
// noisy samples on the env score far below the cost of hanging (about
// 1000 over 200 steps from these starts; the swing-up's optimum is about
// 150), and the initialisation's env steps are counted.
func TestModelInitSwingsUpPendulum(t *testing.T) {
	mk, cost, pol := pendulumSetup(t, 1)
	cfg := DefaultConfig()
	cfg.Conditions, cfg.InitStd, cfg.Seed = 4, 0.05, 1
	cfg.ModelInit = DefaultModelInit()
	cfg.ModelInit.Rounds = 1 // one round suffices here (TestModelInitRounds covers more)
	tr, err := New(cfg, mk, cost, pol)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.initFromModel(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := cfg.ModelInit.Episodes*tr.T + cfg.Conditions*tr.T*len(cfg.ModelInit.Horizons); tr.EnvSteps() != want {
		t.Fatalf("env steps %d, want %d (random episodes and one rollout per condition and horizon)", tr.EnvSteps(), want)
	}
	env, _ := mk()
	u := make([]float64, 1)
	rng := rand.New(rand.NewPCG(3, 0))
	for k := range tr.K {
		var c float64
		for range 3 {
			if _, err := env.SetState(tr.x0[k]); err != nil {
				t.Fatal(err)
			}
			for s := range tr.T {
				tr.ctrl[k].Sample(u, s, env.State(), rng)
				tr.clip(u, u)
				c += cost.Cost(env.State(), u) / 3
				env.Step(u)
			}
		}
		hang := hangingCost(t, tr.x0[k], tr.T)
		t.Logf("condition %d from %.2f: samples' cost %.1f, MPC rollout %.1f, zero torque %.1f", k, tr.x0[k], c, tr.initCost[k], hang)
		if c > 400 || c > 0.5*hang {
			t.Errorf("condition %d: the initial controller's samples cost %.1f (zero torque: %.1f): no swing-up", k, c, hang)
		}
	}
}

// hangingCost is the cost of T steps of zero torque from x0.
func hangingCost(t *testing.T, x0 []float64, T int) float64 {
	env, _ := envs.Make("pendulum")
	cost, _ := CostOf(env)
	if _, err := env.SetState(x0); err != nil {
		t.Fatal(err)
	}
	var c float64
	for range T {
		c += cost.Cost(env.State(), []float64{0})
		env.Step([]float64{0})
	}
	return c
}

// trackingGains on a model and a cost whose expansions are those of an
// LQR problem gives the LQR gains: on the linear env with its quadratic
// cost, along any trajectory, the gains of a long horizon's first step
// are the infinite-horizon LQR gain.
func TestTrackingGainsAreLQR(t *testing.T) {
	mk, cost, pol := linearSetup(1)
	cfg := DefaultConfig()
	cfg.Conditions, cfg.Horizon, cfg.Seed = 1, 200, 1
	tr, err := New(cfg, mk, cost, pol)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	env, _ := mk()
	dyn, _ := envs.DynamicsOf(env)
	X, U := mat2(tr.T+1, 2), mat2(tr.T, 1)
	rng := rand.New(rand.NewPCG(1, 1))
	for s := range tr.T {
		U[s][0] = rng.NormFloat64()
		dyn.Next(X[s+1], X[s], U[s])
	}
	fc := &fdCost{exp: newExpander(cost, 2, 1, cfg.FDStep, nil, nil, 0), n: 2, m: 1, z: make([]float64, 3)}
	if err := tr.trackingGains(tr.ctrl[0], dyn, fc, X, U); err != nil {
		t.Fatal(err)
	}
	want := lqrGain(t)
	for j, w := range want {
		if g := tr.ctrl[0].K[0][j]; math.Abs(g-w) > 1e-4*math.Max(1, math.Abs(w)) {
			t.Fatalf("gain %d: %v, LQR %v", j, g, w)
		}
	}
	// The mean passes through the trajectory.
	u := make([]float64, 1)
	for _, s := range []int{0, 57, 199} {
		tr.ctrl[0].Mean(u, s, X[s])
		if math.Abs(u[0]-U[s][0]) > 1e-9 {
			t.Fatalf("step %d: mean %v at the trajectory's state, want its action %v", s, u[0], U[s][0])
		}
	}
}

// lqrGain returns the linear env's infinite-horizon LQR gain [1*2] (u = K x).
func lqrGain(t *testing.T) []float64 {
	env, _ := envs.Make("linear")
	dyn, _ := envs.DynamicsOf(env)
	sol, err := control.Linearize(dyn, dyn, []float64{0, 0}, []float64{0}).SolveInfinite()
	if err != nil {
		t.Fatal(err)
	}
	return []float64{sol.K.At(0, 0), sol.K.At(0, 1)}
}

// Learning happens on cartpole-continuous from samples alone with a small
// budget (8 conditions of 3 samples, horizon 100): after eight iterations
// from the model initialisation the policy's violation has fallen at
// least 5x (6.4x at this seed; with the defaults' growing rho and
// entropy bonus it rises over the first two iterations, then falls
// faster: about 100x over the 25 iterations of the CLI's runs) and the
// policy alone keeps the pole up for
// the horizon from 10 fresh starts of the reset distribution (4
// conditions with a 16-unit policy did not generalise).
func TestCartPoleLearnsFromSamples(t *testing.T) {
	mk := func() (envs.Env, error) { return envs.Make("cartpole-continuous") }
	env, _ := mk()
	cost, _ := CostOf(env)
	pol, err := NewPolicy(env, []int{32, 32}, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Conditions, cfg.Samples, cfg.Horizon, cfg.PolicyEpochs, cfg.Batch, cfg.InitStd, cfg.Seed = 8, 3, 100, 40, 64, 0.05, 1
	cfg.ModelInit = DefaultModelInit()
	tr, err := New(cfg, mk, cost, pol)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	first := metric(run(t, tr, 0, 1), "violation")
	last := metric(run(t, tr, 1, 7), "violation")
	t.Logf("violation %.3g -> %.3g, %d env steps", first, last, tr.EnvSteps())
	if last > first/5 {
		t.Errorf("violation fell from %.3g to %.3g only", first, last)
	}
	u := make([]float64, 1)
	rng := rand.New(rand.NewPCG(11, 0))
	for ep := range 10 {
		obs := env.Reset(rng)
		for s := range tr.T {
			pol.Act(u, obs)
			var term bool
			if obs, _, term, _ = env.Step(u); term {
				t.Fatalf("start %d: the pole fell at step %d", ep, s)
			}
		}
	}
}

// A second round of planning, after a refit on the first round's
// rollouts, keeps each condition's cheapest rollout: no condition gets
// worse, the conditions together get cheaper (the model has now seen the
// upright pendulum), and every rollout's env steps are counted.
func TestModelInitRounds(t *testing.T) {
	costs := map[int][]float64{}
	for _, rounds := range []int{1, 2} {
		mk, cost, pol := pendulumSetup(t, 1)
		cfg := DefaultConfig()
		cfg.Conditions, cfg.InitStd, cfg.Seed = 4, 0.05, 3
		cfg.ModelInit = DefaultModelInit()
		cfg.ModelInit.Epochs, cfg.ModelInit.Rounds, cfg.ModelInit.RefitEpochs = 300, rounds, 200
		tr, err := New(cfg, mk, cost, pol)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.initFromModel(context.Background()); err != nil {
			t.Fatal(err)
		}
		if want := cfg.ModelInit.Episodes*tr.T + rounds*cfg.Conditions*tr.T*len(cfg.ModelInit.Horizons); tr.EnvSteps() != want {
			t.Fatalf("%d rounds: env steps %d, want %d", rounds, tr.EnvSteps(), want)
		}
		costs[rounds] = append([]float64(nil), tr.initCost...)
		tr.Close()
	}
	var one, two float64
	for k := range costs[1] {
		one, two = one+costs[1][k], two+costs[2][k]
		if costs[2][k] > costs[1][k] {
			t.Errorf("condition %d: %.1f after two rounds, %.1f after one", k, costs[2][k], costs[1][k])
		}
	}
	t.Logf("rollout costs: one round %.1f, two rounds %.1f", costs[1], costs[2])
	if !(two < one) {
		t.Errorf("two rounds cost %.1f in total, one round %.1f: the refit did not help", two, one)
	}
}
