package bptt

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
)

// tinyLearnConfig is a model loop small enough for unit tests.
func tinyLearnConfig(seed uint64) LearnConfig {
	return config.With(DefaultLearnConfig(), func(c *LearnConfig) {
		c.BPTT.Horizon, c.BPTT.Batch, c.BPTT.Truncate, c.BPTT.Iters, c.BPTT.Warmup = 8, 4, 0, 6, 2
		c.BPTT.Seed = seed
		c.RandomSteps, c.RefitEvery, c.EpisodeSteps = 60, 2, 20
		c.InitFitSteps, c.FitSteps = 8, 4
		c.Fit.Hidden, c.Fit.Batch = []int{8}, 16
	})
}

func newLearnTrainer(t testing.TB, cfg LearnConfig, env envs.Env, hidden []int) *LearnTrainer {
	t.Helper()
	tr, err := NewLearn(cfg, env, hidden)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	return tr
}

// TestLearnLoopValidate: the loop's own fields are checked, and an
// ensemble is refused (BPTT differentiates through one model).
func TestLearnLoopValidate(t *testing.T) {
	for _, tc := range []struct {
		field string
		edit  func(*LearnConfig)
	}{
		{"RandomSteps", func(c *LearnConfig) { c.RandomSteps = 0 }},
		{"RefitEvery", func(c *LearnConfig) { c.RefitEvery = 0 }},
		{"Episodes", func(c *LearnConfig) { c.Episodes = -1 }},
		{"Noise", func(c *LearnConfig) { c.Noise = -0.1 }},
		{"FitSteps", func(c *LearnConfig) { c.FitSteps = 0 }},
		{"Fit.Ensemble", func(c *LearnConfig) { c.Fit.Ensemble = 3 }},
		{"BPTT.Horizon", func(c *LearnConfig) { c.BPTT.Horizon = 0 }},
	} {
		err := config.With(DefaultLearnConfig(), tc.edit).Validate()
		ce, ok := err.(*config.Error)
		if !ok || ce.Field != tc.field {
			t.Errorf("%s: got %v, want a config.Error on %s", tc.field, err, tc.field)
		}
	}
	if err := DefaultLearnConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestLearnLoopDeterministicAndResumable: the same seed gives bit-identical
// policy and model weights; a run of 6 iterations (random data, fit, and
// two rounds of policy episodes and refits) equals 3 iterations, a
// checkpoint, a resume into a trainer of another seed and 3 more; the
// real data grow by one episode per round.
func TestLearnLoopDeterministicAndResumable(t *testing.T) {
	cfg := tinyLearnConfig(5)
	meta := checkpoints.Metadata{Method: "bptt", Env: "pendulum", Seed: 5}
	run := func(dir string, iters, start int, tr *LearnTrainer) []map[string]float64 {
		var rows []map[string]float64
		_, err := common.Loop(context.Background(), tr, common.LoopConfig{Iters: iters, Start: start, Dir: dir, Meta: meta,
			OnIter: func(_ int, ms []common.Metric) error {
				row := map[string]float64{}
				for _, m := range ms {
					row[m.Name] = m.Value
				}
				rows = append(rows, row)
				return nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	weights := func(tr *LearnTrainer) []float64 {
		return append(weightsOf(tr.Policy()), weightsOf(tr.Model())...)
	}
	a := newLearnTrainer(t, cfg, envs.NewPendulum(), []int{8})
	rows := run(t.TempDir(), 6, 0, a)
	want := []float64{60, 60, 80, 80, 100, 100}
	for i, r := range rows {
		if r["env_steps"] != want[i] {
			t.Fatalf("iteration %d: env_steps %v, want %v", i, r["env_steps"], want[i])
		}
		if _, ok := r["episode_return"]; ok != (i == 2 || i == 4) {
			t.Fatalf("iteration %d: episode_return reported %v", i, ok)
		}
	}
	b := newLearnTrainer(t, cfg, envs.NewPendulum(), []int{8})
	run("", 6, 0, b)
	wa, wb := weights(a), weights(b)
	for i := range wa {
		if math.Float64bits(wa[i]) != math.Float64bits(wb[i]) {
			t.Fatalf("same seed, weight %d differs: %v vs %v", i, wa[i], wb[i])
		}
	}
	dir := t.TempDir()
	half := newLearnTrainer(t, cfg, envs.NewPendulum(), []int{8})
	run(dir, 3, 0, half)
	resumed := newLearnTrainer(t, tinyLearnConfig(99), envs.NewPendulum(), []int{8})
	c, err := common.Resume(filepath.Join(dir, "latest.safetensors"), resumed)
	if err != nil {
		t.Fatal(err)
	}
	run(dir, 6, c.Meta.Iteration, resumed)
	wr := weights(resumed)
	for i := range wa {
		if math.Float64bits(wa[i]) != math.Float64bits(wr[i]) {
			t.Fatalf("resumed weight %d: %v, straight run %v", i, wr[i], wa[i])
		}
	}
	if resumed.Data().Len() != a.Data().Len() || resumed.Data().Checksum() != a.Data().Checksum() {
		t.Fatalf("resumed data: %d transitions, straight run %d", resumed.Data().Len(), a.Data().Len())
	}
}

// TestLearnLoopGraphSeesRefits: the step graph, built once before any
// fit, computes after a refit exactly what a graph built afresh on the
// refitted model computes (it aliases the weights and normalisers the
// fits change in place).
func TestLearnLoopGraphSeesRefits(t *testing.T) {
	env := envs.NewPendulum()
	tr := newLearnTrainer(t, tinyLearnConfig(2), env, []int{8})
	for i := range 3 { // random data + fit, then a round and a refit at 2
		if _, err := tr.Iterate(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	sys, err := NewModelSystem(tr.Model(), envs.PendulumObsCost{})
	if err != nil {
		t.Fatal(err)
	}
	built := tr.BPTT().engs[0] // batch 2: the first of two shards of 4
	fresh, err := NewEngine(sys, tr.Policy(), built.Batch())
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	x0 := make([]float64, built.Batch()*3)
	rng := rand.New(rand.NewPCG(1, 1))
	for b := range built.Batch() {
		obs := env.Reset(rng)
		copy(x0[b*3:], obs)
	}
	got, _, err := built.Forward(context.Background(), x0, 8, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := fresh.Forward(context.Background(), x0, 8, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Float64bits(got) != math.Float64bits(want) {
		t.Fatalf("built-once graph's cost %v, fresh graph's %v", got, want)
	}
}

// TestLearnLoopLearns: PILCO's loop with BPTT through a learned model
// swings the pendulum up from a random policy on a small budget (H = 50,
// 16 starts, 2x16 policy, 150 iterations, a refit every 25): the return
// on 20 fixed starts rises by more than 400 (measured: -1075 -> -423 with
// 2,000 real env steps, 1,000 of them random).
func TestLearnLoopLearns(t *testing.T) {
	if testing.Short() {
		t.Skip("learning test skipped in -short mode")
	}
	cfg := config.With(DefaultLearnConfig(), func(c *LearnConfig) {
		c.BPTT.Batch, c.BPTT.Iters, c.BPTT.Seed = 16, 150, 1
		c.RandomSteps, c.InitFitSteps, c.FitSteps = 1000, 1000, 200
	})
	tr := newLearnTrainer(t, cfg, envs.NewPendulum(), []int{16, 16})
	pol := tr.Policy().(*nn.DeterministicPolicy)
	before := evalReturn(t, pol, 20)
	for i := range cfg.BPTT.Iters {
		if _, err := tr.Iterate(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	after := evalReturn(t, pol, 20)
	t.Logf("return %.1f -> %.1f with %d real steps", before, after, tr.Data().Len())
	if !(after > before+400) {
		t.Fatalf("no learning: return %.1f -> %.1f", before, after)
	}
}
