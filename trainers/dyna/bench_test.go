package dyna

import (
	"context"
	"testing"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
)

// benchTrainer returns a cartpole trainer with K = 10 whose real buffer
// holds 1000 random-policy transitions and whose model is fitted once.
func benchTrainer(b *testing.B) *Trainer {
	b.Helper()
	tr, err := New(config.With(DefaultConfig(), func(c *Config) {
		c.PlanningSteps = 10
		c.StepsPerIter = 1000
		c.LearningStarts = 100000
		c.EvalEpisodes = 1
		c.Seed = 1
	}),
		func() (envs.Env, error) { return envs.Make("cartpole") })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(tr.Close)
	if _, err := tr.Iterate(context.Background(), 0); err != nil {
		b.Fatal(err)
	}
	if _, _, err := tr.lm.fit(tr.real, 10, tr.fitRng); err != nil {
		b.Fatal(err)
	}
	tr.simulate(1000, 0.1)
	return tr
}

// BenchmarkQUpdate is one DQN update on a minibatch of 64 cartpole
// transitions (targets by the target network's fast path, forward and
// backward through the training graph, clipping, Adam, Polyak update).
func BenchmarkQUpdate(b *testing.B) {
	tr := benchTrainer(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tr.qUpdate(tr.real); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSimulatedTransition is one model-generated transition: a start
// state from the real buffer, an epsilon-greedy action, the dynamics and
// reward models' predictions, the termination rule and the store, with the
// default value expansion (ExpansionSteps 5: four more model steps after
// greedy actions).
func BenchmarkSimulatedTransition(b *testing.B) {
	tr := benchTrainer(b)
	b.ReportAllocs()
	for b.Loop() {
		tr.simulate(1, 0.1)
	}
}

// BenchmarkPlanningStep is one simulated transition and one Q update on a
// model minibatch (the trainer's planning with PlanningUpdates = K).
func BenchmarkPlanningStep(b *testing.B) {
	tr := benchTrainer(b)
	b.ReportAllocs()
	for b.Loop() {
		tr.simulate(1, 0.1)
		if _, err := tr.qUpdate(tr.sim); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkModelFit is one refit of the default model (64x64 tanh MLPs):
// ModelSteps = 100 Adam steps of the dynamics and 100 of the reward model
// on minibatches of 256, done every 250 real steps.
func BenchmarkModelFit(b *testing.B) {
	tr := benchTrainer(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := tr.lm.fit(tr.real, tr.cfg.ModelSteps, tr.fitRng); err != nil {
			b.Fatal(err)
		}
	}
}
