package dagger

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/imitation"
)

// BenchmarkExpertLabel times one expert label, the single-plan MPC action
// (H = 20, 2 iLQR iterations, warm-started) at the states of pendulum
// episodes, through DAgger's mixture policy with beta = 1.
func BenchmarkExpertLabel(b *testing.B) {
	expert, err := mpcExpert(b, control.MPCSettings{})()
	if err != nil {
		b.Fatal(err)
	}
	m := &mixture{expert: expert, beta: 1, label: make([]float64, 1)}
	env := envs.NewPendulum()
	rng := rand.New(rand.NewPCG(3, 4))
	obs := env.Reset(rng)
	m.Reset(rng)
	act := make([]float64, 1)
	for b.Loop() {
		m.Act(act, obs)
		var trunc bool
		obs, _, _, trunc = env.Step(act)
		if trunc {
			obs = env.Reset(rng)
			m.Reset(rng)
		}
	}
}

// BenchmarkRetrainEpoch times one epoch of DAgger's retraining (2x64 tanh
// policy, batch 256, Adam, 10% held out) on 4000 labels, one iteration's
// worth of data at the default 20 episodes per iteration; an epoch on the
// aggregate of iteration i costs i times as much.
func BenchmarkRetrainEpoch(b *testing.B) {
	tr, err := New(config.With(DefaultConfig(), func(c *Config) {
		c.EvalExpert = false
		c.BetaDecay = 0
		c.MakeEnv = makePendulum
		c.Expert = pdExpert
		c.EpisodesPerIter = 20
		c.Fit = config.With(imitation.DefaultFitConfig(), func(c *imitation.FitConfig) {
			c.Epochs = 1
		})
		c.Seed = 1
	}))
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.Iterate(context.Background(), 0); err != nil {
		b.Fatal(err)
	}
	if tr.Dataset().Len() != 4000 {
		b.Fatalf("dataset has %d rows", tr.Dataset().Len())
	}
	for b.Loop() {
		if _, err := tr.Learner.Fit(tr.Dataset(), 0); err != nil {
			b.Fatal(err)
		}
	}
}
