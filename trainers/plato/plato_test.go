package plato

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/dagger"
	"github.com/mbrl/mbrl/trainers/imitation"
)

// randomLearner is a 2x16 tanh pendulum policy with random weights.
func randomLearner(t testing.TB, seed uint64) *nn.DeterministicPolicy {
	t.Helper()
	low, high := envs.PendulumDynamics{}.ActionBounds()
	p, err := nn.NewDeterministicPolicy("policy", nn.PolicyArch{ObsDim: 3, ActDim: 1, Hidden: []int{16, 16},
		Activation: nn.Tanh, Low: low, High: high}, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigErrors(t *testing.T) {
	dyn := envs.PendulumDynamics{}
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no dynamics", config.With(DefaultConfig(), func(c *Config) {
			c.MakeEnv = makePendulum
			c.Expert = mpcExpert(t, control.MPCSettings{})
		}), "needs MakeEnv, Expert and Dynamics"},
		{"bad schedule", config.With(DefaultConfig(), func(c *Config) {
			c.MakeEnv = makePendulum
			c.Expert = mpcExpert(t, control.MPCSettings{})
			c.Dynamics = dyn
			c.Schedule = "cosine"
		}), "unknown KL schedule"},
		{"infinite weight", config.With(DefaultConfig(), func(c *Config) {
			c.MakeEnv = makePendulum
			c.Expert = mpcExpert(t, control.MPCSettings{})
			c.Dynamics = dyn
			c.KLWeight = math.Inf(1)
		}), "KLWeight"},
		{"negative growth", config.With(DefaultConfig(), func(c *Config) {
			c.MakeEnv = makePendulum
			c.Expert = mpcExpert(t, control.MPCSettings{})
			c.Dynamics = dyn
			c.KLGrowth = -1
		}), "KLGrowth"},
		{"wrong dynamics", config.With(DefaultConfig(), func(c *Config) {
			c.MakeEnv = makePendulum
			c.Expert = mpcExpert(t, control.MPCSettings{})
			c.Dynamics = envs.CartPoleDynamics{}
		}), "do not match"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "plato: ") {
				t.Fatalf("err %v, want one mentioning %q", err, c.want)
			}
		})
	}
}

// TestKLCostDerivatives checks klCost's derivatives against central
// differences of its value (the term is exactly quadratic in (x, u) after
// linearisation, so they must agree to rounding).
func TestKLCostDerivatives(t *testing.T) {
	dyn := envs.PendulumDynamics{}
	kl := newKLCost(dyn, randomLearner(t, 1), 5)
	kl.lambda = 0.7
	kl.setStd([]float64{0.4})
	U := [][]float64{{0.5}, {-1}, {2}, {0.3}, {0}}
	kl.linearise([]float64{2.5, -1}, U, []float64{0})
	value := func(tt int, x, u []float64) float64 {
		d := envs.NewCostDerivs(2, 1)
		kl.Add(tt, x, u, d)
		return d.L
	}
	for tt := range 5 {
		x := []float64{kl.xbar[tt][0] + 0.1, kl.xbar[tt][1] - 0.2}
		u := []float64{0.9}
		d := envs.NewCostDerivs(2, 1)
		kl.Add(tt, x, u, d)
		z := append(slices.Clone(x), u...) // (x, u)
		f := func(z []float64) float64 { return value(tt, z[:2], z[2:]) }
		grad := func(z []float64) []float64 {
			g := make([]float64, 3)
			for i := range 3 {
				h := 1e-5
				zp, zm := slices.Clone(z), slices.Clone(z)
				zp[i] += h
				zm[i] -= h
				g[i] = (f(zp) - f(zm)) / (2 * h)
			}
			return g
		}
		g := grad(z)
		want := []float64{d.Lx[0], d.Lx[1], d.Lu[0]}
		for i := range 3 {
			if math.Abs(g[i]-want[i]) > 1e-6*(1+math.Abs(want[i])) {
				t.Fatalf("t=%d: gradient %d: analytic %v, numeric %v", tt, i, want[i], g[i])
			}
		}
		// Hessian rows by differences of the numeric gradient.
		hess := [3][3]float64{
			{d.Lxx[0], d.Lxx[1], d.Lux[0]},
			{d.Lxx[2], d.Lxx[3], d.Lux[1]},
			{d.Lux[0], d.Lux[1], d.Luu[0]},
		}
		for i := range 3 {
			h := 1e-3
			zp, zm := slices.Clone(z), slices.Clone(z)
			zp[i] += h
			zm[i] -= h
			gp, gm := grad(zp), grad(zm)
			for j := range 3 {
				num := (gp[j] - gm[j]) / (2 * h)
				if math.Abs(num-hess[i][j]) > 1e-4*(1+math.Abs(hess[i][j])) {
					t.Fatalf("t=%d: Hessian (%d,%d): analytic %v, numeric %v", tt, i, j, hess[i][j], num)
				}
			}
		}
	}
}

// TestKLPullsTeacherTowardsLearner: at a fixed state, the teacher's action
// is the plain MPC action at lambda = 0 and moves monotonically towards
// the learner's mean as lambda grows, and its covariance lambda Q_uu^-1
// tends to the learner's (the KL minimiser for a dominant KL term).
func TestKLPullsTeacherTowardsLearner(t *testing.T) {
	dyn := envs.PendulumDynamics{}
	learner := randomLearner(t, 2)
	x := []float64{2.0, 1.0}
	obs := make([]float64, 3)
	dyn.Obs(obs, x)
	mu := make([]float64, 1)
	learner.Act(mu, obs)
	s := control.MPCSettings{Iters: 10}
	// The plain MPC action from the same state.
	low, high := dyn.ActionBounds()
	plain, err := control.NewMPC(dyn, dyn, &control.MPCSettings{Iters: 10, Low: low, High: high})
	if err != nil {
		t.Fatal(err)
	}
	uMPC := make([]float64, 1)
	plain.Act(uMPC, x)
	if math.Abs(uMPC[0]-mu[0]) < 0.5 {
		t.Fatalf("test setup: MPC action %v too close to the learner's mean %v", uMPC[0], mu[0])
	}
	const std = 0.3
	prevDist := math.Inf(1)
	u := make([]float64, 1)
	for _, lambda := range []float64{0, 1e-3, 1e-2, 0.1, 1, 10, 100} {
		te, err := newTeacher(dyn, s, learner.Clone())
		if err != nil {
			t.Fatal(err)
		}
		te.setLearner(lambda, []float64{std})
		te.Act(u, x, nil)
		dist := math.Abs(u[0] - mu[0])
		sd := math.Sqrt(te.cov[0])
		t.Logf("lambda %-6g teacher mean %+.4f (MPC %+.4f, learner %+.4f), teacher std %.4f", lambda, u[0], uMPC[0], mu[0], sd)
		switch {
		case lambda == 0 && u[0] != uMPC[0]:
			t.Fatalf("lambda = 0: teacher %v, plain MPC %v", u[0], uMPC[0])
		case dist > prevDist+1e-9:
			t.Fatalf("lambda %v: distance to the learner %v grew from %v", lambda, dist, prevDist)
		case lambda == 100 && dist > 0.05*math.Abs(uMPC[0]-mu[0]):
			t.Fatalf("lambda 100: teacher %v still %v from the learner's mean %v", u[0], dist, mu[0])
		case lambda == 100 && math.Abs(sd-std) > 0.05*std:
			t.Fatalf("lambda 100: teacher std %v, want about the learner's %v", sd, std)
		}
		prevDist = dist
	}
}

func pendulumConfig(t testing.TB) Config {
	return config.With(DefaultConfig(), func(c *Config) {
		c.EvalExpert = false
		c.MakeEnv = makePendulum
		c.Expert = mpcExpert(t, control.MPCSettings{})
		c.Dynamics = envs.PendulumDynamics{}
	})
}

// TestDeterminismAndResume: same seed, any number of workers -> the same
// dataset and weights; another seed -> others; a resumed run equals a
// straight one.
func TestDeterminismAndResume(t *testing.T) {
	mk := func(workers int, seed uint64) *Trainer {
		cfg := pendulumConfig(t)
		cfg.EpisodesPerIter, cfg.Workers, cfg.Seed = 3, workers, seed
		cfg.Fit = config.With(imitation.DefaultFitConfig(), func(c *imitation.FitConfig) {
			c.Epochs = 2
			c.Batch = 64
		})
		cfg.Teacher.Horizon = 10
		cfg.MaxSteps = 50
		tr, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(tr.Close)
		return tr
	}
	iterate := func(tr *Trainer, from, to int) {
		for i := from; i < to; i++ {
			if _, err := tr.Iterate(context.Background(), i); err != nil {
				t.Fatal(err)
			}
		}
	}
	weights := func(tr *Trainer) []float64 {
		var w []float64
		for _, p := range tr.Policy().Params() {
			w = append(w, p.Data()...)
		}
		return w
	}
	a := mk(1, 4)
	iterate(a, 0, 3)
	for _, c := range []struct {
		name    string
		workers int
		seed    uint64
		same    bool
	}{{"2 workers", 2, 4, true}, {"3 workers", 3, 4, true}, {"other seed", 2, 5, false}} {
		t.Run(c.name, func(t *testing.T) {
			b := mk(c.workers, c.seed)
			iterate(b, 0, 3)
			same := slices.Equal(a.Dataset().Obs, b.Dataset().Obs) && slices.Equal(weights(a), weights(b))
			if same != c.same {
				t.Fatalf("identical = %v, want %v", same, c.same)
			}
		})
	}
	t.Run("resume", func(t *testing.T) {
		first := mk(2, 4)
		dir := t.TempDir()
		meta := checkpoints.Metadata{Method: "plato", Env: "pendulum", Seed: 4}
		if _, err := common.Loop(context.Background(), first, common.LoopConfig{Iters: 2, Dir: dir, Meta: meta}); err != nil {
			t.Fatal(err)
		}
		second := mk(2, 4)
		for _, p := range second.Policy().Params() {
			clear(p.Data())
		}
		c, err := common.Resume(filepath.Join(dir, "latest.safetensors"), second)
		if err != nil {
			t.Fatal(err)
		}
		iterate(second, c.Meta.Iteration, 3)
		if !slices.Equal(weights(a), weights(second)) || !slices.Equal(a.Dataset().Label, second.Dataset().Label) {
			t.Fatal("resumed run differs from the straight one")
		}
	})
}

// TestPLATOSafeAndLearns is PLATO against DAgger on a quick setting (5
// iterations of 2 episodes, the same MPC expert and fit): PLATO's training
// episodes (the teacher's) must be clearly better than DAgger's (which
// execute the learner half the time from the second iteration on), and its
// learner must learn (measured on this seed, same start states for both:
// PLATO about -160 during training and -165 at the end, DAgger about -440
// during training).
func TestPLATOSafeAndLearns(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two policies with an MPC expert")
	}
	const iters, M = 5, 2
	fit := config.With(imitation.DefaultFitConfig(), func(c *imitation.FitConfig) {
		c.Epochs = 30
	})
	cfg := pendulumConfig(t)
	cfg.Iters, cfg.EpisodesPerIter, cfg.Fit, cfg.Seed = iters, M, fit, 1
	pl, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	dg, err := dagger.New(config.With(dagger.DefaultConfig(), func(c *dagger.Config) {
		c.EvalExpert = false
		c.MakeEnv = makePendulum
		c.Expert = cfg.Expert
		c.Iters = iters
		c.EpisodesPerIter = M
		c.BetaDecay = 0.5
		c.Fit = fit
		c.Seed = 1
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer dg.Close()
	var plTrain, dgTrain float64
	for i := range iters {
		pm, err := pl.Iterate(context.Background(), i)
		if err != nil {
			t.Fatal(err)
		}
		dm, err := dg.Iterate(context.Background(), i)
		if err != nil {
			t.Fatal(err)
		}
		plTrain += metric(t, pm, "train_return") / iters
		dgTrain += metric(t, dm, "train_return") / iters
	}
	res, err := common.Evaluate(makePendulum, func() (common.Policy, error) {
		return common.PolicyFunc(pl.Policy().Clone().Mean), nil
	}, common.EvalConfig{Episodes: 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("mean training return: PLATO %.1f, DAgger %.1f; PLATO learner %.1f", plTrain, dgTrain, res.Mean)
	if plTrain < dgTrain+100 {
		t.Fatalf("PLATO's training episodes (%.1f) are not clearly safer than DAgger's (%.1f)", plTrain, dgTrain)
	}
	if res.Mean < -400 {
		t.Fatalf("PLATO's learner returns %.1f after %d labels; want better than -400", res.Mean, pl.Dataset().Len())
	}
}

func metric(t testing.TB, ms []common.Metric, name string) float64 {
	t.Helper()
	for _, m := range ms {
		if m.Name == name {
			return m.Value
		}
	}
	t.Fatalf("no metric %q", name)
	return 0
}
