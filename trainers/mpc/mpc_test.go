package mpc

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/model"
)

func makePendulum() (envs.Env, error) { return envs.Make("pendulum") }

// tinyConfig is a budget of a fraction of a second per iteration: short
// episodes, small nets, short plans.
func tinyConfig(seed uint64, ensemble int, planner string) Config {
	return config.With(DefaultConfig(), func(c *Config) {
		c.RandomSteps = 120
		c.EpisodesPerIter = 2
		c.EpisodeSteps = 30
		c.InitFitSteps = 40
		c.FitSteps = 10
		c.Fit = config.With(model.DefaultFitConfig(), func(c *model.FitConfig) {
			c.Hidden = []int{16}
			c.Batch = 32
			c.Ensemble = ensemble
		})
		c.Planner = config.With(DefaultPlannerConfig(), func(c *PlannerConfig) {
			c.Planner = planner
			c.Horizon = 5
			c.Samples = 16
			c.Elites = 4
			c.Iters = 2
		})
		c.Seed = seed
	})
}

func weights(m nn.Model) []float64 {
	var w []float64
	for _, p := range m.Params() {
		w = append(w, p.Data()...)
	}
	return w
}

func metricMap(ms []common.Metric) map[string]float64 {
	m := map[string]float64{}
	for _, x := range ms {
		m[x.Name] = x.Value
	}
	return m
}

func TestAggregationAndRefit(t *testing.T) {
	tr, err := New(tinyConfig(1, 2, PlannerILQR), makePendulum)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	w0 := weights(tr.Model())
	ms, err := tr.Iterate(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	m := metricMap(ms)
	// Random data (4 episodes of 30 steps), then 2 MPC episodes of 30.
	d := tr.Data()
	if d.Len() != 180 || d.Episodes() != 6 || m["env_steps"] != 180 || m["episodes"] != 2 {
		t.Fatalf("after iteration 0: %d transitions in %d episodes, metrics %v", d.Len(), d.Episodes(), m)
	}
	if !slices.Equal(tr.Newest(), []int{4, 5}) {
		t.Fatalf("newest episodes %v, want [4 5]", tr.Newest())
	}
	w1 := weights(tr.Model())
	if slices.Equal(w0, w1) {
		t.Fatal("the first fit did not change the weights")
	}
	for _, k := range []string{"return", "loss", "val_mse", "rmse_10", "disagreement", "plan_errors"} {
		if _, ok := m[k]; !ok {
			t.Fatalf("metric %s missing: %v", k, m)
		}
	}
	if !(m["disagreement"] > 0) {
		t.Fatalf("an ensemble of 2 reports disagreement %v", m["disagreement"])
	}
	// The MPC episodes' transitions are those of a real pendulum.
	dyn := envs.PendulumDynamics{}
	x, y := make([]float64, 2), make([]float64, 3)
	for _, k := range tr.Newest() {
		s, e := d.Episode(k)
		for i := s; i < e; i++ {
			dyn.StateFromObs(x, d.Buf.Obs[3*i:3*i+3])
			dyn.Next(x, x, d.Buf.Act[i:i+1])
			dyn.Obs(y, x)
			for j := range 3 {
				if math.Abs(y[j]-d.Buf.NextObs[3*i+j]) > 1e-9 {
					t.Fatalf("transition %d is not the pendulum's", i)
				}
			}
		}
	}
	// Iteration 1 refits on all 180 transitions, warm-started from w1,
	// then adds 2 more episodes.
	if _, err := tr.Iterate(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if d := tr.Data(); d.Len() != 240 || !slices.Equal(tr.Newest(), []int{6, 7}) {
		t.Fatalf("after iteration 1: %d transitions, newest %v", d.Len(), tr.Newest())
	}
	w2 := weights(tr.Model())
	var moved float64
	for i := range w1 {
		moved = math.Max(moved, math.Abs(w2[i]-w1[i]))
	}
	// A warm start continues from w1 and Adam's moments: the optimiser
	// counts the first fit's 40 steps (10 epochs of 120/32 -> 4 batches)
	// plus the refit's 12 (the epochs nearest 10 steps: 180/32 -> 6
	// batches per epoch, 2 epochs), and each
	// Adam step moves a weight by at most lr (1-beta1)/sqrt(1-beta2)
	// = 3.2e-3, so 12 steps move it by less than 0.04; a restart from a
	// fresh initialisation would move it by O(0.1-1).
	st, err := tr.fit.State()
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Adam[0].Step; got != 40+12 {
		t.Fatalf("Adam has taken %d steps, want 40 + 12", got)
	}
	if moved == 0 || moved > 0.04 {
		t.Fatalf("refit moved weights by up to %g", moved)
	}
}

func TestSameSeedSameResultsAnyWorkers(t *testing.T) {
	for _, planner := range []string{PlannerILQR, PlannerCEM} {
		var ref [][]common.Metric
		var refW []float64
		for i, workers := range []int{1, 2, 1} {
			cfg := tinyConfig(5, 2, planner)
			cfg.Workers = workers
			tr, err := New(cfg, makePendulum)
			if err != nil {
				t.Fatal(err)
			}
			var got [][]common.Metric
			for it := range 2 {
				ms, err := tr.Iterate(context.Background(), it)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, ms)
			}
			w := weights(tr.Model())
			tr.Close()
			if i == 0 {
				ref, refW = got, w
				continue
			}
			if !slices.Equal(w, refW) {
				t.Fatalf("%s, workers %d: weights differ from the first run", planner, workers)
			}
			for it := range got {
				if !slices.Equal(got[it], ref[it]) {
					t.Fatalf("%s, workers %d, iteration %d: %v, first run %v", planner, workers, it, got[it], ref[it])
				}
			}
		}
	}
	// Another seed gives another run.
	a, _ := New(tinyConfig(5, 1, PlannerILQR), makePendulum)
	b, _ := New(tinyConfig(6, 1, PlannerILQR), makePendulum)
	defer a.Close()
	defer b.Close()
	ma, _ := a.Iterate(context.Background(), 0)
	mb, _ := b.Iterate(context.Background(), 0)
	if slices.Equal(ma, mb) {
		t.Fatal("seeds 5 and 6 gave the same iteration")
	}
}

func TestResumeIsBitExact(t *testing.T) {
	meta := checkpoints.Metadata{Method: "mpc", Env: "pendulum"}
	mk := func() *Trainer {
		tr, err := New(tinyConfig(3, 2, PlannerILQR), makePendulum)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(tr.Close)
		return tr
	}
	full := mk()
	resA, err := common.Loop(context.Background(), full, common.LoopConfig{Iters: 3, Dir: t.TempDir(), Meta: meta})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := common.Loop(context.Background(), mk(), common.LoopConfig{Iters: 2, Dir: dir, Meta: meta}); err != nil {
		t.Fatal(err)
	}
	resumed := mk()
	c, err := common.Resume(filepath.Join(dir, "latest.safetensors"), resumed)
	if err != nil {
		t.Fatal(err)
	}
	resB, err := common.Loop(context.Background(), resumed, common.LoopConfig{Iters: 3, Start: c.Meta.Iteration, Dir: dir, Meta: meta})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(weights(full.Model()), weights(resumed.Model())) {
		t.Fatal("resumed weights differ from the straight run's")
	}
	a, b := metricMap(resA.LastMetrics), metricMap(resB.LastMetrics)
	for _, k := range []string{"return", "env_steps", "loss", "val_mse", "rmse_10", "disagreement"} {
		if a[k] != b[k] {
			t.Fatalf("%s: straight %v, resumed %v", k, a[k], b[k])
		}
	}
	// The saved model plans like the trainer's: load it and act.
	fc, err := checkpoints.Load(resB.Final)
	if err != nil {
		t.Fatal(err)
	}
	m, err := nn.LoadModel(fc, "dynamics")
	if err != nil {
		t.Fatal(err)
	}
	pc, ok := SavedPlannerConfig(fc)
	if !ok || pc != resumed.Config().Planner || pc.Horizon != 5 || pc.Planner != PlannerILQR {
		t.Fatalf("saved planner config %+v (%v), trained with %+v", pc, ok, resumed.Config().Planner)
	}
	env, _ := makePendulum()
	p1, err := NewPlannerPolicy(m, env, pc)
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := NewPlannerPolicy(resumed.Model(), env, config.With(DefaultPlannerConfig(), func(c *PlannerConfig) {
		c.Horizon = 5
	}))
	obs := []float64{-1, 0.1, 0.3}
	u1, u2 := make([]float64, 1), make([]float64, 1)
	p1.Act(u1, obs)
	p2.Act(u2, obs)
	if u1[0] != u2[0] {
		t.Fatalf("loaded model acts %v, trained one %v", u1, u2)
	}
}

func TestLearnsToSwingUp(t *testing.T) {
	// One iteration: 1,000 random steps, a 2x64 model fitted with 1,500
	// Adam steps of 64 rows, and one MPC episode; then MPC through that
	// model (iLQR, H = 20) on 4 random
	// starts. Random actions score about -1,200 on pendulum; MPC on a
	// model that learned the dynamics swings up and balances (the true
	// dynamics' MPC averages about -150).
	cfg := config.With(DefaultConfig(), func(c *Config) {
		c.RandomSteps = 1000
		c.InitFitSteps = 1500
		c.Fit = config.With(model.DefaultFitConfig(), func(c *model.FitConfig) {
			c.Batch = 64
		})
		c.Seed = 2
		c.Planner = config.With(DefaultPlannerConfig(), func(c *PlannerConfig) {
			c.Horizon = 20
		})
	})
	tr, err := New(cfg, makePendulum)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.Iterate(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	res, err := common.Evaluate(makePendulum, func() (common.Policy, error) {
		env, _ := makePendulum()
		return NewPlannerPolicy(tr.Model(), env, cfg.Planner)
	}, common.EvalConfig{Episodes: 4, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	rnd, _ := common.Evaluate(makePendulum, func() (common.Policy, error) {
		env, _ := makePendulum()
		return &common.RandomPolicy{Space: env.ActionSpace(), Rng: rand.New(rand.NewPCG(1, 1))}, nil
	}, common.EvalConfig{Episodes: 4, Seed: 9})
	t.Logf("MPC through the learned model: %.1f (%v); random actions: %.1f", res.Mean, res.Returns, rnd.Mean)
	if res.Mean < -400 || res.Mean < rnd.Mean+500 {
		t.Fatalf("MPC return %.1f (random %.1f): the model-based controller did not learn", res.Mean, rnd.Mean)
	}
}

func TestPlannerPolicyErrors(t *testing.T) {
	_, err := New(tinyConfig(1, 1, PlannerILQR), func() (envs.Env, error) { return envs.Make("cartpole-continuous") })
	if err == nil {
		t.Fatal("cartpole's reward is not its cost: planning on it must be refused")
	}
	cfg := tinyConfig(1, 1, "bogus")
	if _, err := New(cfg, makePendulum); err == nil {
		t.Fatal("unknown planner accepted")
	}
	env, _ := makePendulum()
	mlp := nn.NewMLP("dynamics", []int{4, 3}, nn.Tanh, rand.New(rand.NewPCG(1, 1)))
	if _, err := NewPlannerPolicy(mlp, env, DefaultPlannerConfig()); err == nil {
		t.Fatal("a plain MLP accepted as a dynamics model")
	}
	wrong, _ := nn.NewDynamicsModel("dynamics", nn.DynamicsArch{ObsDim: 4, ActDim: 1, Hidden: []int{4}, Activation: nn.Tanh}, rand.New(rand.NewPCG(1, 1)))
	if _, err := NewPlannerPolicy(wrong, env, DefaultPlannerConfig()); err == nil {
		t.Fatal("a model of another env's observations accepted")
	}
	lin, _ := envs.Make("linear")
	if _, err := ObsCost(lin, false); err != nil {
		t.Fatalf("linear has a known quadratic cost: %v", err)
	}
}
