package dyna

import (
	"fmt"
	"math"

	"github.com/mbrl/mbrl/nn"
)

// Config configures a Trainer. The zero value of every field except
// PlanningSteps selects the documented default; the defaults are a DQN
// that solves CartPole-v1 in a few tens of thousands of steps.
type Config struct {
	// PlanningSteps is K, the number of simulated transitions generated
	// with the learned model after each real step (and, by default, the
	// number of Q updates on simulated data). It is taken literally: 0 is
	// plain DQN, and no model is learned.
	PlanningSteps int
	// RolloutLength is h, the length of the model rollouts that produce
	// the K simulated transitions, each starting from an observation drawn
	// from the real buffer (default 1; a rollout also ends at a terminal
	// state). The K transitions come from ceil(K/h) rollouts.
	RolloutLength int
	// PlanningUpdates is the number of Q updates on minibatches from the
	// model buffer after each real step (default min(PlanningSteps,
	// 2 DirectUpdates): at most twice as many updates on simulated data as
	// on real data, a replay ratio of 3 with the defaults; the package
	// documentation explains the cap).
	PlanningUpdates int
	// PlanningActions chooses the actions of the simulated transitions:
	// PlanUniform (the default) draws every one uniformly from the action
	// set, as Dyna-Q's planning does (Sutton 1990; Sutton & Barto 2018,
	// section 8.2); PlanPolicy uses the current exploration policy
	// (epsilon-greedy at the real step's epsilon), as MBPO does for its
	// actor-critic. The package documentation explains why uniform is the
	// default for a Q-learner.
	PlanningActions PlanningActions

	// StepsPerIter is the number of real environment steps of one
	// iteration (default 1000); evaluation follows every iteration.
	StepsPerIter int

	// The Q-network: Hidden layer sizes (default [64, 64]) and their
	// Activation (default relu); NormaliseObs adds an observation
	// normaliser fitted once, to the first LearningStarts observations.
	Hidden       []int
	Activation   nn.Activation
	NormaliseObs bool

	// DQN: minibatch size Batch (default 64), discount Gamma (default 0.99),
	// Adam (default LR 1e-3), gradient clipping to global norm ClipNorm
	// (default 10; negative disables), and the bootstrap QTarget: TargetMax
	// (DQN's max_a Q'(s', a)) or TargetDouble (double DQN, van Hasselt,
	// Guez & Silver, AAAI 2016: Q'(s', argmax_a Q(s', a))); the default is
	// TargetDouble with planning (K > 0) and TargetMax without (package
	// documentation: model data overestimates).
	Batch    int
	Gamma    float64
	Adam     nn.Adam
	ClipNorm float64
	QTarget  QTarget
	// Target network: Polyak averaging with rate Tau after every Q update
	// (default 0.005), or, when TargetEvery > 0, a hard copy every
	// TargetEvery real steps (Tau is then ignored). Counting Q updates, not
	// real steps, lets the values propagate faster when there are more
	// updates per real step: that is what planning buys (package
	// documentation).
	Tau         float64
	TargetEvery int
	// BufferSize is the capacity of the real replay buffer (default
	// 100000). Q learning (and model learning) starts after LearningStarts
	// real steps (default 1000) taken with epsilon = EpsilonStart; then one
	// Q update on real data every TrainEvery real steps (default 1), or
	// DirectUpdates of them (default 1; more is the "replay ratio" control
	// for Dyna: as many updates per real step, all on real data).
	BufferSize     int
	LearningStarts int
	TrainEvery     int
	DirectUpdates  int
	// Epsilon-greedy exploration, annealed linearly from EpsilonStart
	// (default 1) to EpsilonEnd (default 0.05) over the first EpsilonSteps
	// real steps (default 3000). Simulated rollouts use the same epsilon.
	EpsilonStart, EpsilonEnd float64
	EpsilonSteps             int

	// ActionBins discretises a continuous action space into ActionBins
	// values per dimension (default 5); ignored for discrete actions.
	ActionBins int

	// The learned model: dynamics and reward MLPs with ModelHidden layers
	// (default [64, 64]) of ModelActivation (default tanh); Ensemble > 1
	// dynamics members, one drawn at random per simulated transition
	// (default 1, a single model). Every ModelEvery real steps (default
	// 250; first at LearningStarts) the models are refitted on the real
	// buffer with ModelSteps Adam steps (default 100) on minibatches of
	// ModelBatch (default 256), learning rate ModelLR (default 1e-3),
	// continuing from the current weights.
	ModelHidden     []int
	ModelActivation nn.Activation
	Ensemble        int
	ModelEvery      int
	ModelSteps      int
	ModelBatch      int
	ModelLR         float64
	// ModelBufferSize is the capacity of the buffer of simulated
	// transitions (default 20000).
	ModelBufferSize int
	// Model replaces the learned model by a given one (no model learning):
	// for tests and for planning with a known model.
	Model Model
	// Terminal decides whether a simulated next observation is terminal
	// (no bootstrapping; the rollout ends). Nil means TerminalFunc(env),
	// the environment's known termination rule, if any.
	// IgnoreTermination makes no simulated transition terminal.
	Terminal          func(obs []float64) bool
	IgnoreTermination bool

	// Evaluation after every iteration: EvalEpisodes greedy episodes
	// (default 10) from the starts of common.Evaluate with seed Seed.
	EvalEpisodes int
	// TargetReturn, if set, is the evaluation mean return whose first
	// attainment is recorded (StepsToTarget); StopAtTarget makes every
	// later iteration a no-op.
	TargetReturn *float64
	StopAtTarget bool

	// Seed selects every random stream of the trainer.
	Seed uint64
}

// PlanningActions names the action distribution of simulated transitions.
type PlanningActions string

// The PlanningActions values.
const (
	// PlanUniform draws simulated actions uniformly at random.
	PlanUniform PlanningActions = "uniform"
	// PlanPolicy draws simulated actions from the epsilon-greedy
	// exploration policy.
	PlanPolicy PlanningActions = "policy"
)

// QTarget names the bootstrap target of the Q updates.
type QTarget string

// The QTarget values.
const (
	// TargetMax is DQN's target r + gamma max_a Q'(s', a).
	TargetMax QTarget = "max"
	// TargetDouble is double DQN's r + gamma Q'(s', argmax_a Q(s', a)).
	TargetDouble QTarget = "double"
)

// withDefaults returns c with zero fields replaced by defaults, or an
// error for a setting out of range.
func (c Config) withDefaults() (Config, error) {
	setI := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	setF := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	setI(&c.RolloutLength, 1)
	if c.PlanningActions == "" {
		c.PlanningActions = PlanUniform
	}
	if c.QTarget == "" {
		c.QTarget = TargetMax
		if c.PlanningSteps > 0 {
			c.QTarget = TargetDouble
		}
	}
	setI(&c.StepsPerIter, 1000)
	if c.Hidden == nil {
		c.Hidden = []int{64, 64}
	}
	if c.Activation == "" {
		c.Activation = nn.ReLU
	}
	setI(&c.Batch, 64)
	setF(&c.Gamma, 0.99)
	setF(&c.ClipNorm, 10)
	setF(&c.Tau, 0.005)
	setI(&c.BufferSize, 100000)
	setI(&c.LearningStarts, 1000)
	setI(&c.TrainEvery, 1)
	setI(&c.DirectUpdates, 1)
	setI(&c.PlanningUpdates, min(c.PlanningSteps, 2*c.DirectUpdates))
	setF(&c.EpsilonStart, 1)
	setF(&c.EpsilonEnd, 0.05)
	setI(&c.EpsilonSteps, 3000)
	setI(&c.ActionBins, 5)
	if c.ModelHidden == nil {
		c.ModelHidden = []int{64, 64}
	}
	if c.ModelActivation == "" {
		c.ModelActivation = nn.Tanh
	}
	setI(&c.Ensemble, 1)
	setI(&c.ModelEvery, 250)
	setI(&c.ModelSteps, 100)
	setI(&c.ModelBatch, 256)
	setF(&c.ModelLR, 1e-3)
	setI(&c.ModelBufferSize, 20000)
	setI(&c.EvalEpisodes, 10)
	if c.Adam.LR == 0 {
		c.Adam.LR = 1e-3
	}
	bad := func(name string, v any) error {
		return fmt.Errorf("dyna: %s %v is out of range", name, v)
	}
	switch {
	case c.PlanningSteps < 0:
		return c, bad("PlanningSteps", c.PlanningSteps)
	case c.RolloutLength < 1:
		return c, bad("RolloutLength", c.RolloutLength)
	case c.PlanningUpdates < 0:
		return c, bad("PlanningUpdates", c.PlanningUpdates)
	case c.QTarget != TargetMax && c.QTarget != TargetDouble:
		return c, fmt.Errorf("dyna: QTarget %q is neither %q nor %q", c.QTarget, TargetMax, TargetDouble)
	case c.PlanningActions != PlanUniform && c.PlanningActions != PlanPolicy:
		return c, fmt.Errorf("dyna: PlanningActions %q is neither %q nor %q", c.PlanningActions, PlanUniform, PlanPolicy)
	case c.StepsPerIter < 1:
		return c, bad("StepsPerIter", c.StepsPerIter)
	case c.Batch < 1:
		return c, bad("Batch", c.Batch)
	case !(c.Gamma > 0 && c.Gamma <= 1):
		return c, bad("Gamma", c.Gamma)
	case !(c.Adam.LR > 0) || math.IsInf(c.Adam.LR, 0):
		return c, bad("learning rate", c.Adam.LR)
	case math.IsNaN(c.ClipNorm):
		return c, bad("ClipNorm", c.ClipNorm)
	case !(c.Tau > 0 && c.Tau <= 1):
		return c, bad("Tau", c.Tau)
	case c.TargetEvery < 0:
		return c, bad("TargetEvery", c.TargetEvery)
	case c.BufferSize < 1:
		return c, bad("BufferSize", c.BufferSize)
	case c.LearningStarts < 1:
		return c, bad("LearningStarts", c.LearningStarts)
	case c.TrainEvery < 1:
		return c, bad("TrainEvery", c.TrainEvery)
	case c.DirectUpdates < 1:
		return c, bad("DirectUpdates", c.DirectUpdates)
	case !(c.EpsilonStart >= 0 && c.EpsilonStart <= 1):
		return c, bad("EpsilonStart", c.EpsilonStart)
	case !(c.EpsilonEnd >= 0 && c.EpsilonEnd <= 1):
		return c, bad("EpsilonEnd", c.EpsilonEnd)
	case c.EpsilonSteps < 1:
		return c, bad("EpsilonSteps", c.EpsilonSteps)
	case c.Ensemble < 1:
		return c, bad("Ensemble", c.Ensemble)
	case c.ModelEvery < 1:
		return c, bad("ModelEvery", c.ModelEvery)
	case c.ModelSteps < 1:
		return c, bad("ModelSteps", c.ModelSteps)
	case c.ModelBatch < 1:
		return c, bad("ModelBatch", c.ModelBatch)
	case !(c.ModelLR > 0) || math.IsInf(c.ModelLR, 0):
		return c, bad("ModelLR", c.ModelLR)
	case c.ModelBufferSize < 1:
		return c, bad("ModelBufferSize", c.ModelBufferSize)
	case c.EvalEpisodes < 1:
		return c, bad("EvalEpisodes", c.EvalEpisodes)
	case c.TargetReturn != nil && (math.IsNaN(*c.TargetReturn) || math.IsInf(*c.TargetReturn, 0)):
		return c, bad("TargetReturn", *c.TargetReturn)
	}
	for _, h := range append(append([]int(nil), c.Hidden...), c.ModelHidden...) {
		if h < 1 {
			return c, fmt.Errorf("dyna: hidden layer sizes must be positive, got %v and %v", c.Hidden, c.ModelHidden)
		}
	}
	if c.ClipNorm < 0 {
		c.ClipNorm = 0 // autodiff.ClipByGlobalNorm: 0 disables
	}
	return c, nil
}
