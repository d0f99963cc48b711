package model

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
)

func randomPolicy(env envs.Env, seed uint64) common.Policy {
	return &common.RandomPolicy{Space: env.ActionSpace(), Rng: rand.New(rand.NewPCG(seed, 9))}
}

func TestCollectEpisodes(t *testing.T) {
	env := envs.NewPendulum()
	d := NewDataset(3, 1)
	eps, err := Collect(d, env, randomPolicy(env, 1), rand.New(rand.NewPCG(1, 1)), CollectConfig{Steps: 450})
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 450 || len(eps) != 3 || !slices.Equal(d.Starts, []int{0, 200, 400}) {
		t.Fatalf("len %d, %d episodes, starts %v; want 450, 3, [0 200 400]", d.Len(), len(eps), d.Starts)
	}
	// Consecutive transitions of an episode chain: next obs of t = obs of t+1.
	for i := range 449 {
		if i == 199 || i == 399 {
			continue
		}
		if !slices.Equal(d.Buf.NextObs[3*i:3*i+3], d.Buf.Obs[3*(i+1):3*i+6]) {
			t.Fatalf("transition %d does not chain into %d", i, i+1)
		}
	}
	if s, e := d.Episode(2); s != 400 || e != 450 {
		t.Fatalf("episode 2 = [%d, %d), want [400, 450)", s, e)
	}
}

func TestDatasetRoundTripAndAppend(t *testing.T) {
	env := envs.NewPendulum()
	a, b := NewDataset(3, 1), NewDataset(3, 1)
	rng := rand.New(rand.NewPCG(2, 1))
	if _, err := Collect(a, env, randomPolicy(env, 2), rng, CollectConfig{Steps: 250}); err != nil {
		t.Fatal(err)
	}
	if _, err := Collect(b, env, randomPolicy(env, 3), rng, CollectConfig{Steps: 30, EpisodeSteps: 20}); err != nil {
		t.Fatal(err)
	}
	sum := a.Checksum()
	if err := a.Append(b); err != nil {
		t.Fatal(err)
	}
	if a.Len() != 280 || !slices.Equal(a.Starts, []int{0, 200, 250, 270}) {
		t.Fatalf("appended: len %d starts %v", a.Len(), a.Starts)
	}
	if a.Checksum() == sum {
		t.Fatal("checksum did not change with the data")
	}
	raw, _ := a.MarshalBinary()
	var c Dataset
	if err := c.UnmarshalBinary(raw); err != nil {
		t.Fatal(err)
	}
	if c.Checksum() != a.Checksum() || !slices.Equal(c.Buf.Obs, a.Buf.Obs) || !slices.Equal(c.Buf.Term, a.Buf.Term) || !slices.Equal(c.Starts, a.Starts) {
		t.Fatal("round trip changed the dataset")
	}
	for _, bad := range [][]byte{raw[:len(raw)-1], append(slices.Clone(raw), 0), raw[:10]} {
		if err := new(Dataset).UnmarshalBinary(bad); err == nil {
			t.Fatalf("corrupt dataset of %d bytes accepted", len(bad))
		}
	}
}

func TestSplitEpisodes(t *testing.T) {
	d := NewDataset(1, 1)
	for range 10 {
		d.StartEpisode()
		d.Buf.Add([]float64{0}, []float64{0}, 0, []float64{0}, false)
	}
	tr, val, err := d.SplitEpisodes(0.25, rand.New(rand.NewPCG(1, 2)))
	if err != nil || len(val) != 3 || len(tr) != 7 {
		t.Fatalf("split: %v %v %v", tr, val, err)
	}
	if _, _, err := d.SplitEpisodes(0.99, rand.New(rand.NewPCG(1, 2))); err == nil {
		t.Fatal("holding out every episode must fail")
	}
}

// trueModel predicts pendulum observations with the known dynamics.
type trueModel struct{ x []float64 }

func (m *trueModel) Predict(dst, obs, act []float64) {
	d := envs.PendulumDynamics{}
	d.StateFromObs(m.x, obs)
	d.Next(m.x, m.x, act)
	d.Obs(dst, m.x)
}

// stillModel predicts no change.
type stillModel struct{}

func (stillModel) Predict(dst, obs, _ []float64) { copy(dst, obs) }

func TestErrorsOfKnownModels(t *testing.T) {
	env := envs.NewPendulum()
	d := NewDataset(3, 1)
	if _, err := Collect(d, env, randomPolicy(env, 4), rand.New(rand.NewPCG(4, 1)), CollectConfig{Steps: 400}); err != nil {
		t.Fatal(err)
	}
	// The true dynamics: zero error at every horizon (up to rounding in
	// the obs -> angle -> obs round trip).
	rmse := MultiStepRMSE(&trueModel{x: make([]float64, 2)}, d, []int{0, 1}, 50, 3)
	for h, v := range rmse {
		if v > 1e-12 {
			t.Fatalf("true model: rmse at h=%d is %g", h+1, v)
		}
	}
	// Predicting no change: the one-step RMSE is the RMS of the deltas, and
	// the normalised MSE with a unit normaliser is its square.
	var ss float64
	for i := range d.Buf.Obs {
		dv := d.Buf.NextObs[i] - d.Buf.Obs[i]
		ss += dv * dv
	}
	want := math.Sqrt(ss / float64(len(d.Buf.Obs)))
	got := MultiStepRMSE(stillModel{}, d, []int{0, 1}, 1, 1)[0]
	if math.Abs(got-want) > 1e-12 {
		t.Fatalf("still model: one-step rmse %g, want %g", got, want)
	}
	obs, act, next := d.Gather(d.All())
	mse, err := NormalisedMSE(stillModel{}, nn.NewNormaliser(3), obs, act, next, d.Len())
	if err != nil || math.Abs(mse-want*want) > 1e-12 {
		t.Fatalf("still model: normalised mse %g (%v), want %g", mse, err, want*want)
	}
	// An episode shorter than the horizon covers only its own length.
	short := MultiStepRMSE(stillModel{}, d, []int{0}, 300, 1)
	if math.IsNaN(short[199]) || !math.IsNaN(short[200]) {
		t.Fatalf("200-step episode: rmse[199]=%v rmse[200]=%v", short[199], short[200])
	}
}

func TestTrainerLearnsPendulum(t *testing.T) {
	env := envs.NewPendulum()
	tr, err := New(config.With(DefaultConfig(), func(c *Config) {
		c.Samples = 4000
		c.EpochsPerIter = 10
		c.Seed = 1
	}), env, randomPolicy(env, 1))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	before := metricMap(tr.Validate())
	var after map[string]float64
	for i := range 6 {
		ms, err := tr.Iterate(context.Background(), i)
		if err != nil {
			t.Fatal(err)
		}
		after = metricMap(ms)
	}
	t.Logf("before %v\nafter %v", before, after)
	// An untrained model predicts deltas of about the data's spread
	// (normalised MSE ~1); 900 Adam steps on 3,600 transitions bring the
	// one-step error below 2% of that and shrink the open-loop errors.
	if after["val_mse"] > 0.02 || after["val_mse"] > before["val_mse"]/20 {
		t.Fatalf("val_mse %v (before %v): the model did not learn", after["val_mse"], before["val_mse"])
	}
	if after["rmse_10"] > before["rmse_10"]/2 {
		t.Fatalf("rmse_10 %v (before %v)", after["rmse_10"], before["rmse_10"])
	}
}

func metricMap(ms []common.Metric) map[string]float64 {
	m := map[string]float64{}
	for _, x := range ms {
		m[x.Name] = x.Value
	}
	return m
}

func weights(m nn.Model) []float64 {
	var w []float64
	for _, p := range m.Params() {
		w = append(w, p.Data()...)
	}
	return w
}

func TestTrainerResumeIsBitExact(t *testing.T) {
	for _, E := range []int{1, 2} {
		cfg := config.With(DefaultConfig(), func(c *Config) {
			c.Samples = 600
			c.EpochsPerIter = 2
			c.ValFrac = 0.34
			c.Seed = 3
			c.Fit = config.With(DefaultFitConfig(), func(c *FitConfig) {
				c.Ensemble = E
				c.Hidden = []int{16}
				c.Batch = 64
			})
		})
		mk := func(seed uint64) *Trainer {
			env := envs.NewPendulum()
			tr, err := New(cfg, env, randomPolicy(env, 5))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(tr.Close)
			return tr
		}
		meta := checkpoints.Metadata{Method: "model", Env: "pendulum"}
		full := mk(3)
		if _, err := common.Loop(context.Background(), full, common.LoopConfig{Iters: 4, Dir: t.TempDir(), Meta: meta}); err != nil {
			t.Fatal(err)
		}
		half := mk(3)
		dir := t.TempDir()
		if _, err := common.Loop(context.Background(), half, common.LoopConfig{Iters: 2, Dir: dir, Meta: meta}); err != nil {
			t.Fatal(err)
		}
		resumed := mk(3)
		c, err := common.Resume(filepath.Join(dir, "latest.safetensors"), resumed)
		if err != nil {
			t.Fatal(err)
		}
		res, err := common.Loop(context.Background(), resumed, common.LoopConfig{Iters: 4, Start: c.Meta.Iteration, Dir: dir, Meta: meta})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(weights(full.Model()), weights(resumed.Model())) {
			t.Fatalf("E=%d: resumed weights differ from the straight run's", E)
		}
		// The checkpoint loads as model "dynamics" with its normalisers.
		ck, err := checkpoints.Load(res.Final)
		if err != nil {
			t.Fatal(err)
		}
		m, err := nn.LoadModel(ck, "dynamics")
		if err != nil {
			t.Fatal(err)
		}
		obs, act := []float64{0.3, -0.9, 1.5}, []float64{0.7}
		p1, p2 := make([]float64, 3), make([]float64, 3)
		m.(Predictor).Predict(p1, obs, act)
		full.Model().(Predictor).Predict(p2, obs, act)
		if !slices.Equal(p1, p2) {
			t.Fatalf("E=%d: loaded model predicts %v, trained one %v", E, p1, p2)
		}
	}
	// Another sample count: the data differ and Restore refuses.
	env := envs.NewPendulum()
	other, err := New(config.With(DefaultConfig(), func(c *Config) {
		c.Samples = 400
		c.EpochsPerIter = 1
		c.ValFrac = 0.5
		c.Seed = 3
		c.Fit = config.With(DefaultFitConfig(), func(c *FitConfig) {
			c.Hidden = []int{16}
			c.Batch = 64
		})
	}), env, randomPolicy(env, 5))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	st, _ := other.State()
	same, _ := New(config.With(DefaultConfig(), func(c *Config) {
		c.Samples = 600
		c.EpochsPerIter = 1
		c.ValFrac = 0.5
		c.Seed = 3
		c.Fit = config.With(DefaultFitConfig(), func(c *FitConfig) {
			c.Hidden = []int{16}
			c.Batch = 64
		})
	}), env, randomPolicy(env, 5))
	defer same.Close()
	if err := same.Restore(st); err == nil {
		t.Fatal("restoring a state collected with other data must fail")
	}
}

func TestEnsembleMembersDifferAndBootstrap(t *testing.T) {
	env := envs.NewPendulum()
	tr, err := New(config.With(DefaultConfig(), func(c *Config) {
		c.Samples = 800
		c.EpochsPerIter = 2
		c.ValFrac = 0.25
		c.Seed = 2
		c.Fit = config.With(DefaultFitConfig(), func(c *FitConfig) {
			c.Ensemble = 3
			c.Hidden = []int{16}
			c.Batch = 64
		})
	}), env, randomPolicy(env, 1))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.Iterate(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	f := tr.Fitter()
	ms := f.Members()
	if len(ms) != 3 {
		t.Fatalf("%d members", len(ms))
	}
	for i := range ms {
		for j := i + 1; j < len(ms); j++ {
			if slices.Equal(weights(ms[i]), weights(ms[j])) {
				t.Fatalf("members %d and %d have the same weights", i, j)
			}
			a, b := slices.Clone(f.rows[i]), slices.Clone(f.rows[j])
			slices.Sort(a)
			slices.Sort(b)
			if slices.Equal(a, b) {
				t.Fatalf("members %d and %d train on the same rows", i, j)
			}
		}
	}
	// A bootstrap resample of n rows misses about 1/e of them.
	distinct := len(slices.Compact(slices.Sorted(slices.Values(f.rows[0]))))
	if frac := float64(distinct) / float64(len(f.rows[0])); frac < 0.55 || frac > 0.72 {
		t.Fatalf("bootstrap keeps %.2f of the rows, want about 0.63", frac)
	}
	// The ensemble predicts the members' mean.
	obs, act := []float64{1, 0, 0.5}, []float64{-1}
	mean, y := make([]float64, 3), make([]float64, 3)
	want := make([]float64, 3)
	for _, m := range ms {
		m.Predict(y, obs, act)
		for k := range y {
			want[k] += y[k] / 3
		}
	}
	tr.Model().(Predictor).Predict(mean, obs, act)
	for k := range mean {
		if math.Abs(mean[k]-want[k]) > 1e-15 {
			t.Fatalf("ensemble prediction %v, members' mean %v", mean, want)
		}
	}
}

// BenchmarkFitStep times one Adam step of a 2x64 tanh dynamics MLP on
// pendulum (inputs 4, outputs 3) with batch 256: forward, backward and
// update through the Gorgonia graph.
func BenchmarkFitStep(b *testing.B) {
	env := envs.NewPendulum()
	d := NewDataset(3, 1)
	if _, err := Collect(d, env, randomPolicy(env, 1), rand.New(rand.NewPCG(1, 1)), CollectConfig{Steps: 1000}); err != nil {
		b.Fatal(err)
	}
	f, err := NewFitter("dynamics", 3, 1, DefaultFitConfig(), rand.New(rand.NewPCG(1, 0)), 1)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	obs, act, next := d.Gather(d.All())
	if err := f.SetData(obs, act, next, d.Len()); err != nil {
		b.Fatal(err)
	}
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := f.Step(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*256/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// cpuTime returns the process's user + system CPU time: on a shared,
// overloaded machine the CPU time per operation is steadier than the wall
// time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
