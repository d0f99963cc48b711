package dagger

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/imitation"
)

// quickFit keeps bookkeeping tests fast: a few epochs are enough to move
// the weights.
var quickFit = config.With(imitation.DefaultFitConfig(), func(c *imitation.FitConfig) {
	c.Epochs = 2
	c.Batch = 64
})

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no expert", config.With(DefaultConfig(), func(c *Config) {
			c.MakeEnv = makePendulum
		}), "needs MakeEnv and Expert"},
		{"beta decay above 1", config.With(DefaultConfig(), func(c *Config) {
			c.MakeEnv = makePendulum
			c.Expert = pdExpert
			c.BetaDecay = 1.5
		}), "BetaDecay"},
		{"beta decay NaN", config.With(DefaultConfig(), func(c *Config) {
			c.MakeEnv = makePendulum
			c.Expert = pdExpert
			c.BetaDecay = math.NaN()
		}), "BetaDecay"},
		{"BC and CompareBC", config.With(DefaultConfig(), func(c *Config) {
			c.MakeEnv = makePendulum
			c.Expert = pdExpert
			c.BC = true
			c.CompareBC = true
		}), "CompareBC"},
		{"discrete actions", config.With(DefaultConfig(), func(c *Config) {
			c.MakeEnv = func() (envs.Env, error) { return envs.Make("cartpole") }
			c.Expert = pdExpert
		}), "discrete actions"},
		{"val fraction 1", config.With(DefaultConfig(), func(c *Config) {
			c.MakeEnv = makePendulum
			c.Expert = pdExpert
			c.Fit = config.With(imitation.DefaultFitConfig(), func(c *imitation.FitConfig) {
				c.ValFrac = 1
			})
		}), "ValFrac"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "dagger: ") {
				t.Fatalf("err %v, want one mentioning %q", err, c.want)
			}
		})
	}
}

// TestAggregation checks D <- D u D_i: the dataset grows by exactly the
// visited states of the iteration, keeps every earlier row, labels every
// row with the expert's action, and beta_i = p^(i-1) decides who acts.
func TestAggregation(t *testing.T) {
	const M, T = 2, 200 // episodes per iteration, pendulum steps
	cases := []struct {
		name       string
		bc         bool
		p          float64
		wantBeta   []float64
		expertFrac func(i int, f float64) bool
	}{
		{"bc", true, 0, []float64{1, 1, 1}, func(_ int, f float64) bool { return f == 1 }},
		{"dagger p=0", false, 0, []float64{1, 0, 0}, func(i int, f float64) bool { return f == map[int]float64{0: 1, 1: 0, 2: 0}[i] }},
		{"dagger p=0.5", false, 0.5, []float64{1, 0.5, 0.25}, func(i int, f float64) bool {
			// M*T = 400 coin flips: within 5 standard deviations of beta.
			b := []float64{1, 0.5, 0.25}[i]
			return math.Abs(f-b) <= 5*math.Sqrt(b*(1-b)/(M*T))+1e-12
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr, err := New(config.With(DefaultConfig(), func(cf *Config) {
				cf.EvalExpert = false
				cf.MakeEnv = makePendulum
				cf.Expert = pdExpert
				cf.BC = c.bc
				cf.BetaDecay = c.p
				cf.EpisodesPerIter = M
				cf.Fit = quickFit
				cf.Seed = 3
			}))
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			var prev []float64
			for i := range 3 {
				ms, err := tr.Iterate(context.Background(), i)
				if err != nil {
					t.Fatal(err)
				}
				d := tr.Dataset()
				if d.Len() != (i+1)*M*T || metricOf(t, ms, "labels") != float64(d.Len()) {
					t.Fatalf("iteration %d: dataset has %d rows (labels metric %v), want %d", i, d.Len(), metricOf(t, ms, "labels"), (i+1)*M*T)
				}
				if !slices.Equal(d.Obs[:len(prev)], prev) {
					t.Fatalf("iteration %d changed earlier rows", i)
				}
				prev = slices.Clone(d.Obs)
				if b := metricOf(t, ms, "beta"); b != c.wantBeta[i] {
					t.Fatalf("iteration %d: beta %v, want %v", i, b, c.wantBeta[i])
				}
				if f := metricOf(t, ms, "expert_frac"); !c.expertFrac(i, f) {
					t.Fatalf("iteration %d: expert acted at a fraction %v of the steps (beta %v)", i, f, c.wantBeta[i])
				}
				u := make([]float64, 1)
				for r := range d.Len() {
					pdAct(u, d.Obs[3*r:3*r+3])
					if d.Label[r] != u[0] {
						t.Fatalf("row %d: label %v, expert says %v", r, d.Label[r], u[0])
					}
				}
			}
		})
	}
}

// TestDAggerBeatsBC is the compounding-error experiment on a quick
// setting: with 4 iterations of 2 episodes (1600 labels) of the
// single-plan MPC expert, DAgger's learner must do clearly better than
// behaviour cloning on the same number of expert-only labels (measured on
// this seed: DAgger about -200, BC about -1100; the expert about -150).
func TestDAggerBeatsBC(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two policies with an MPC expert")
	}
	const iters = 4
	tr, err := New(config.With(DefaultConfig(), func(c *Config) {
		c.EvalExpert = false
		c.MakeEnv = makePendulum
		c.Expert = mpcExpert(t, control.MPCSettings{})
		c.Iters = iters
		c.EpisodesPerIter = 2
		c.BetaDecay = 0.5
		c.CompareBC = true
		c.Fit = config.With(imitation.DefaultFitConfig(), func(c *imitation.FitConfig) {
			c.Epochs = 30
		})
		c.EvalEpisodes = 10
		c.FinalEvalEpisodes = 20
		c.Seed = 1
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	var ms []common.Metric
	for i := range iters {
		if ms, err = tr.Iterate(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	if metricOf(t, ms, "bc_labels") != metricOf(t, ms, "labels") {
		t.Fatalf("BC trained on %v labels, DAgger on %v", metricOf(t, ms, "bc_labels"), metricOf(t, ms, "labels"))
	}
	res, err := common.Evaluate(makePendulum, func() (common.Policy, error) { return tr.Policy().Clone(), nil },
		common.EvalConfig{Episodes: 20})
	if err != nil {
		t.Fatal(err)
	}
	bc := metricOf(t, ms, "bc_return")
	t.Logf("1600 labels: DAgger %.1f, BC %.1f", res.Mean, bc)
	if res.Mean < -400 || res.Mean < bc+200 {
		t.Fatalf("DAgger %.1f should beat BC %.1f by 200 and reach -400", res.Mean, bc)
	}
}

// run does iters iterations with the given workers and seed and returns
// the trainer.
func run(t *testing.T, workers int, seed uint64, iters int) *Trainer {
	t.Helper()
	tr, err := New(config.With(DefaultConfig(), func(c *Config) {
		c.EvalExpert = false
		c.MakeEnv = makePendulum
		c.Expert = pdExpert
		c.EpisodesPerIter = 3
		c.BetaDecay = 0.5
		c.CompareBC = true
		c.Fit = quickFit
		c.EvalEpisodes = 2
		c.Workers = workers
		c.Seed = seed
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	for i := range iters {
		if _, err := tr.Iterate(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

// TestDeterminism: the same seed gives bit-identical datasets and weights
// whatever the number of workers; another seed gives others.
func TestDeterminism(t *testing.T) {
	a := run(t, 1, 7, 2)
	for _, c := range []struct {
		name    string
		workers int
		seed    uint64
		same    bool
	}{
		{"3 workers", 3, 7, true},
		{"2 workers", 2, 7, true},
		{"other seed", 2, 8, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := run(t, c.workers, c.seed, 2)
			same := slices.Equal(a.Dataset().Obs, b.Dataset().Obs) && slices.Equal(weightsOf(a.Policy()), weightsOf(b.Policy())) &&
				slices.Equal(weightsOf(a.BCPolicy()), weightsOf(b.BCPolicy()))
			if same != c.same {
				t.Fatalf("identical = %v, want %v", same, c.same)
			}
		})
	}
}

// TestResumeIsBitExact: 3 iterations straight equal 2, a checkpoint, a
// resume into a fresh trainer and the third.
func TestResumeIsBitExact(t *testing.T) {
	straight := run(t, 2, 5, 3)
	cfg := config.With(DefaultConfig(), func(c *Config) {
		c.EvalExpert = false
		c.MakeEnv = makePendulum
		c.Expert = pdExpert
		c.EpisodesPerIter = 3
		c.BetaDecay = 0.5
		c.CompareBC = true
		c.Fit = quickFit
		c.EvalEpisodes = 2
		c.Seed = 5
	})
	first, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	dir := t.TempDir()
	meta := checkpoints.Metadata{Method: "dagger", Env: "pendulum", Seed: 5}
	if _, err := common.Loop(context.Background(), first, common.LoopConfig{Iters: 2, Dir: dir, Meta: meta}); err != nil {
		t.Fatal(err)
	}
	second, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	for _, p := range second.Policy().Params() { // scramble: the weights must come from the checkpoint
		for i := range p.Data() {
			p.Data()[i] = 0.5
		}
	}
	c, err := common.Resume(filepath.Join(dir, "latest.safetensors"), second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := common.Loop(context.Background(), second, common.LoopConfig{Iters: 3, Start: c.Meta.Iteration, Dir: dir, Meta: meta}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(weightsOf(straight.Policy()), weightsOf(second.Policy())) ||
		!slices.Equal(weightsOf(straight.BCPolicy()), weightsOf(second.BCPolicy())) ||
		!slices.Equal(straight.Dataset().Label, second.Dataset().Label) {
		t.Fatal("resumed run differs from the straight one")
	}
}
