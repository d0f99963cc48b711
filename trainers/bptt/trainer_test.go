package bptt

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
)

func TestParseSchedule(t *testing.T) {
	st, err := ParseSchedule(" 10:50, 30:100 ")
	if err != nil || len(st) != 2 || st[0] != (Stage{10, 50}) || st[1] != (Stage{30, 100}) {
		t.Fatalf("got %v, %v", st, err)
	}
	for _, bad := range []string{"10", "a:5", "10:0", "-1:5", "30:10,10:20", "5:5,5:6"} {
		if _, err := ParseSchedule(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	tr := &Trainer{cfg: config.With(DefaultConfig(), func(c *Config) {
		c.Horizon = 5
		c.Schedule = st
	})}
	for iter, want := range map[int]int{0: 5, 9: 5, 10: 50, 29: 50, 30: 100, 1000: 100} {
		if got := tr.HorizonAt(iter); got != want {
			t.Errorf("HorizonAt(%d) = %d, want %d", iter, got, want)
		}
	}
}

func newPendulumTrainer(t testing.TB, cfg Config, seed uint64) *Trainer {
	t.Helper()
	cfg.Seed = seed
	tr, err := New(cfg, envs.NewPendulum(), TrueSystem{Dyn: envs.PendulumDynamics{}}, pendulumPolicy(t, []int{16, 16}, seed))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	return tr
}

func evalReturn(t testing.TB, pol *nn.DeterministicPolicy, episodes int) float64 {
	t.Helper()
	res, err := common.Evaluate(func() (envs.Env, error) { return envs.NewPendulum(), nil },
		func() (common.Policy, error) { return pol.Clone(), nil },
		common.EvalConfig{Episodes: episodes, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	return res.Mean
}

// TestTrainingLearns: a small budget of BPTT through the true pendulum
// (H = 50, 16 starts, 2x16 policy, 150 iterations, ~25 s) improves the
// return of the random initial policy (-1075 over 20 episodes) by more
// than 200 (measured: -1075 -> -890 after 100 iterations, -709 after 200).
// The full swing-up (-150) takes a few hundred iterations at batch 64: see
// 'mbrl train bptt'.
func TestTrainingLearns(t *testing.T) {
	iters := 150
	if testing.Short() {
		t.Skip("learning test skipped in -short mode")
	}
	tr := newPendulumTrainer(t, config.With(DefaultConfig(), func(c *Config) {
		c.Horizon = 50
		c.Batch = 16
		c.Adam = nn.Adam{LR: 1e-2}
		c.ClipNorm = 1
	}), 1)
	pol := tr.Policy().(*nn.DeterministicPolicy)
	before := evalReturn(t, pol, 20)
	var first, last float64
	for i := range iters {
		ms, err := tr.Iterate(context.Background(), i)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = ms[0].Value
		}
		last = ms[0].Value
	}
	after := evalReturn(t, pol, 20)
	t.Logf("return %.1f -> %.1f, loss %.1f -> %.1f", before, after, first, last)
	if !(after > before+200) {
		t.Fatalf("no learning: return %.1f -> %.1f", before, after)
	}
}

func weightsOf(m nn.Model) []float64 {
	var w []float64
	for _, p := range m.Params() {
		w = append(w, p.Data()...)
	}
	return w
}

// TestTrainingDeterministicAndResumable: the same seed gives bit-identical
// weights, and N iterations equal N/2, a checkpoint, a resume into a fresh
// trainer of another seed and N/2 more (Adam moments and the start-state
// rng are restored).
func TestTrainingDeterministicAndResumable(t *testing.T) {
	cfg := config.With(DefaultConfig(), func(c *Config) {
		c.Horizon = 8
		c.Batch = 4
		c.Adam = nn.Adam{LR: 1e-2}
		c.ClipNorm = 1
		c.Truncate = 3
		c.Schedule = []Stage{{From: 2, Horizon: 12}}
	})
	meta := checkpoints.Metadata{Method: "bptt", Env: "pendulum", Seed: 3}
	run := func(dir string, iters, start int, tr *Trainer) {
		if _, err := common.Loop(context.Background(), tr, common.LoopConfig{Iters: iters, Start: start, Dir: dir, Meta: meta}); err != nil {
			t.Fatal(err)
		}
	}
	a := newPendulumTrainer(t, cfg, 3)
	run(t.TempDir(), 6, 0, a)
	b := newPendulumTrainer(t, cfg, 3)
	run("", 6, 0, b)
	wa, wb := weightsOf(a.pol), weightsOf(b.pol)
	for i := range wa {
		if math.Float64bits(wa[i]) != math.Float64bits(wb[i]) {
			t.Fatalf("same seed, weight %d differs: %v vs %v", i, wa[i], wb[i])
		}
	}
	dir := t.TempDir()
	half := newPendulumTrainer(t, cfg, 3)
	run(dir, 3, 0, half)
	resumed := newPendulumTrainer(t, cfg, 99)
	c, err := common.Resume(filepath.Join(dir, "latest.safetensors"), resumed)
	if err != nil {
		t.Fatal(err)
	}
	run(dir, 6, c.Meta.Iteration, resumed)
	wr := weightsOf(resumed.pol)
	for i := range wa {
		if math.Float64bits(wa[i]) != math.Float64bits(wr[i]) {
			t.Fatalf("resumed weight %d: %v, straight run %v", i, wr[i], wa[i])
		}
	}
}

// TestTrainingLearnsLinear: on the open-loop unstable linear system a
// random policy diverges (return -6.5e10 over 100 steps); 60 BPTT
// iterations at H = 30 stabilise it (return -12.2; threshold -20).
func TestTrainingLearnsLinear(t *testing.T) {
	env := envs.NewLinear(envs.DefaultLinearConfig())
	d, _ := envs.DynamicsOf(env)
	mlp := nn.NewMLP("policy", []int{2, 16, 1}, nn.Tanh, rand.New(rand.NewPCG(1, 0)))
	pol := MLPPolicy{mlp}
	tr, err := New(config.With(DefaultConfig(), func(c *Config) {
		c.Horizon = 30
		c.Batch = 16
		c.Adam = nn.Adam{LR: 1e-2}
		c.ClipNorm = 10
		c.Seed = 1
	}), env, TrueSystem{Dyn: d}, pol)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	eval := func() float64 {
		res, err := common.Evaluate(func() (envs.Env, error) { return envs.NewLinear(envs.DefaultLinearConfig()), nil },
			func() (common.Policy, error) { return MLPPolicy{mlp.Clone()}, nil }, common.EvalConfig{Episodes: 20, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		return res.Mean
	}
	before := eval()
	for i := range 60 {
		if _, err := tr.Iterate(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	after := eval()
	t.Logf("linear: return %.4g -> %.4g", before, after)
	if !(after > -20) || !(after > before) {
		t.Fatalf("no learning on linear: return %.4g -> %.4g", before, after)
	}
}

// saturatedFraction returns the fraction of a 64x17 grid of pendulum
// states (theta over the circle, thetadot over [-8, 8]) at which pol's
// torque is at its bound (|u| > 1.98 of 2).
func saturatedFraction(pol Policy) float64 {
	u := make([]float64, 1)
	sat, n := 0, 0
	for i := range 64 {
		for j := range 17 {
			th := -math.Pi + 2*math.Pi*float64(i)/64
			pol.Act(u, []float64{math.Cos(th), math.Sin(th), -8 + float64(j)})
			if math.Abs(u[0]) > 1.98 {
				sat++
			}
			n++
		}
	}
	return float64(sat) / float64(n)
}

// TestWarmupKeepsThePolicyOutOfSaturation pins the reason for the
// learning-rate warmup of DefaultConfig (see Config.LRAt): without it the
// first Adam steps at LR 1e-2 drive the policy's tanh output to the torque
// bound on most of the state space within five iterations (measured
// 67-86%), and the gradient through the saturated output vanishes; with
// the default warmup no state saturates in those iterations.
func TestWarmupKeepsThePolicyOutOfSaturation(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		for _, warmup := range []int{0, DefaultConfig().Warmup} {
			cfg := DefaultConfig()
			cfg.Warmup, cfg.Seed = warmup, seed
			env := envs.NewPendulum()
			pol, err := NewPolicy(env, []int{64, 64}, rand.New(rand.NewPCG(seed, 0)))
			if err != nil {
				t.Fatal(err)
			}
			tr, err := New(cfg, env, TrueSystem{Dyn: envs.PendulumDynamics{}}, pol)
			if err != nil {
				t.Fatal(err)
			}
			for it := range 5 {
				if _, err := tr.Iterate(context.Background(), it); err != nil {
					t.Fatal(err)
				}
			}
			tr.Close()
			f := saturatedFraction(pol)
			t.Logf("seed %d warmup %d: %.0f%% of states saturated after 5 iterations", seed, warmup, 100*f)
			switch {
			case warmup == 0 && f < 0.5:
				t.Errorf("seed %d without warmup: only %.0f%% saturated; the reason given for the warmup no longer holds", seed, 100*f)
			case warmup > 0 && f > 0.02:
				t.Errorf("seed %d with warmup %d: %.0f%% saturated, want none", seed, warmup, 100*f)
			}
		}
	}
}

func TestLRSchedule(t *testing.T) {
	c := DefaultConfig()
	cases := []struct {
		iter int
		want float64
	}{
		{0, c.Adam.LR / 50}, {49, c.Adam.LR}, {50, c.Adam.LR}, {399, c.LRFinal}, {1000, c.LRFinal},
	}
	for _, k := range cases {
		if got := c.LRAt(k.iter); math.Abs(got-k.want) > 1e-4*c.Adam.LR {
			t.Errorf("LRAt(%d) = %g, want %g", k.iter, got, k.want)
		}
	}
	for it := 51; it < c.Iters; it++ {
		if c.LRAt(it) >= c.LRAt(it-1) {
			t.Fatalf("LRAt(%d) = %g does not decay from %g", it, c.LRAt(it), c.LRAt(it-1))
		}
	}
	c.LRFinal = 0
	if got := c.LRAt(300); got != c.Adam.LR {
		t.Errorf("no decay: LRAt(300) = %g, want %g", got, c.Adam.LR)
	}
}

// TestShardedGradient: splitting the batch into shards gives the whole
// batch's cost and gradient up to rounding (the sums are regrouped), for
// even and uneven splits and with truncation.
func TestShardedGradient(t *testing.T) {
	for _, tc := range []struct{ batch, shards, truncate int }{
		{8, 2, 0}, {7, 3, 0}, {6, 6, 4}, {5, 2, 3},
	} {
		run := func(shards int) (float64, [][]float64) {
			cfg := config.With(DefaultConfig(), func(c *Config) {
				c.Batch, c.Shards, c.Horizon, c.Truncate = tc.batch, shards, 12, tc.truncate
			})
			tr := newPendulumTrainer(t, cfg, 3)
			defer tr.Close()
			n := tr.sys.StateDim()
			for b := range tc.batch {
				tr.sys.Start(tr.x0[b*n:(b+1)*n], tr.env, tr.env.Reset(tr.rng))
			}
			j, err := tr.sweep(context.Background(), 12)
			if err != nil {
				t.Fatal(err)
			}
			return j, tr.grads
		}
		j1, g1 := run(1)
		js, gs := run(tc.shards)
		if math.Abs(js-j1) > 1e-12*math.Abs(j1) {
			t.Errorf("batch %d, %d shards: cost %v, whole batch %v", tc.batch, tc.shards, js, j1)
		}
		var diff, norm float64
		for i := range g1 {
			for k := range g1[i] {
				diff = max(diff, math.Abs(gs[i][k]-g1[i][k]))
				norm = max(norm, math.Abs(g1[i][k]))
			}
		}
		if norm == 0 || diff > 1e-12*norm {
			t.Errorf("batch %d, %d shards: gradient differs by %g (largest entry %g)", tc.batch, tc.shards, diff, norm)
		}
	}
}

// TestShardsIndependentOfCores: with several shards, training gives the
// same weights bit for bit on one core and on several.
func TestShardsIndependentOfCores(t *testing.T) {
	train := func(procs int) []float64 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		cfg := config.With(DefaultConfig(), func(c *Config) { c.Batch, c.Shards, c.Horizon, c.Iters = 6, 3, 10, 4 })
		tr := newPendulumTrainer(t, cfg, 5)
		defer tr.Close()
		for i := range 4 {
			if _, err := tr.Iterate(context.Background(), i); err != nil {
				t.Fatal(err)
			}
		}
		return weightsOf(tr.Policy())
	}
	one, two := train(1), train(2)
	for i := range one {
		if math.Float64bits(one[i]) != math.Float64bits(two[i]) {
			t.Fatalf("weight %d: %v on one core, %v on two", i, one[i], two[i])
		}
	}
}

// TestIterationAllocationsFlatInH: the step graph of the true pendulum and
// of a learned model has a kernel for every op, and once running, an
// iteration allocates the same few times at H = 10 and H = 40 (its
// metrics and the shards' goroutines; nothing per time step).
func TestIterationAllocationsFlatInH(t *testing.T) {
	model, err := nn.NewDynamicsModel("dynamics", nn.DynamicsArch{ObsDim: 3, ActDim: 1, Hidden: []int{16, 16}, Activation: nn.Tanh}, rand.New(rand.NewPCG(2, 0)))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := NewModelSystem(model, envs.PendulumObsCost{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		sys  System
	}{{"true", TrueSystem{Dyn: envs.PendulumDynamics{}}}, {"model", ms}} {
		t.Run(tc.name, func(t *testing.T) {
			allocs := map[int]float64{}
			for _, h := range []int{10, 40} {
				cfg := config.With(DefaultConfig(), func(c *Config) { c.Batch, c.Horizon, c.Seed = 8, h, 1 })
				tr, err := New(cfg, envs.NewPendulum(), tc.sys, pendulumPolicy(t, []int{16, 16}, 1))
				if err != nil {
					t.Fatal(err)
				}
				defer tr.Close()
				for _, e := range tr.engs {
					if f := e.prog.Fallbacks(); len(f) != 0 {
						t.Fatalf("ops without a kernel: %v", f)
					}
				}
				iter := 0
				step := func() {
					if _, err := tr.Iterate(context.Background(), iter); err != nil {
						t.Fatal(err)
					}
					iter++
				}
				step()
				allocs[h] = testing.AllocsPerRun(5, step)
			}
			// The bar is at most 10 per time step; these are per iteration.
			if allocs[10] != allocs[40] || allocs[40] >= 40 {
				t.Errorf("allocations per iteration: %v at H=10, %v at H=40", allocs[10], allocs[40])
			}
		})
	}
}
