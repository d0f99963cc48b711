package dyna

import (
	"math"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/nn"
)

// Config configures a Trainer; DefaultConfig gives the defaults, a Dyna-DQN
// that solves CartPole-v1 in about 8,000 real steps (plain DQN, K = 0:
// about 24,000).
type Config struct {
	// PlanningSteps is K, the number of simulated transitions generated
	// with the learned model after each real step (default 10). 0 is
	// plain DQN, and no model is learned.
	PlanningSteps int
	// RolloutLength is h, the length of the model rollouts that produce
	// the K simulated transitions, each starting from an observation drawn
	// from the real buffer (default 1; a rollout also ends at a terminal
	// state). The K transitions come from ceil(K/h) rollouts.
	RolloutLength int
	// ExpansionSteps is n, the model-based value expansion of every
	// simulated transition (Feinberg et al. 2018): its reward is the
	// discounted sum of n model rewards, the first after the transition's
	// action, the others after the online network's greedy actions, and
	// its bootstrap is gamma^n Q'(s_n), or none if the model's rollout
	// terminates on the way (default 5; 1: one-step transitions). The
	// package documentation explains why planning needs it.
	ExpansionSteps int
	// PlanningUpdates is the number of Q updates on minibatches from the
	// model buffer after each real step; 0 (the default) means
	// min(PlanningSteps, DirectUpdates): no more updates on simulated
	// data than on real data, a replay ratio of 2 with the defaults (the
	// package documentation explains the cap).
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
	// (default 10; 0 disables), and the bootstrap QTarget: TargetMax (DQN's
	// max_a Q'(s', a)), TargetDouble (double DQN, van Hasselt, Guez &
	// Silver, AAAI 2016: Q'(s', argmax_a Q(s', a))) or TargetAuto (the
	// default): double with planning (K > 0), max without (package
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
	// ValueBound bounds the bootstrap values of the targets: BoundRewards
	// clips Q'(s', a') into [min(0, r_min), max(0, r_max)] / (1 - gamma),
	// with r_min and r_max the smallest and largest real rewards so far,
	// the interval every discounted return lies in (no bound for gamma 1);
	// BoundNone does not clip; BoundAuto (the default) is BoundRewards with
	// planning (K > 0), BoundNone without (package documentation: faster
	// value propagation overshoots).
	ValueBound ValueBound
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
	// real steps (default 3000). With PlanPolicy, simulated rollouts use
	// the same epsilon.
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
	// TargetAuto is TargetDouble with planning (K > 0), TargetMax without.
	TargetAuto QTarget = "auto"
	// TargetMax is DQN's target r + gamma max_a Q'(s', a).
	TargetMax QTarget = "max"
	// TargetDouble is double DQN's r + gamma Q'(s', argmax_a Q(s', a)).
	TargetDouble QTarget = "double"
)

// ValueBound names the clipping of the bootstrap values.
type ValueBound string

// The ValueBound values.
const (
	// BoundAuto is BoundRewards with planning (K > 0), BoundNone without.
	BoundAuto ValueBound = "auto"
	// BoundRewards clips bootstrap values to the range of discounted sums
	// of the rewards seen.
	BoundRewards ValueBound = "rewards"
	// BoundNone does not clip.
	BoundNone ValueBound = "none"
)

// DefaultConfig returns the default Config (K = 10 planning steps).
func DefaultConfig() Config {
	return Config{
		PlanningSteps: 10, RolloutLength: 1, ExpansionSteps: 5, PlanningActions: PlanUniform, StepsPerIter: 1000,
		Hidden: []int{64, 64}, Activation: nn.ReLU,
		Batch: 64, Gamma: 0.99, Adam: nn.Adam{LR: 1e-3}, ClipNorm: 10, QTarget: TargetAuto, ValueBound: BoundAuto, Tau: 0.005,
		BufferSize: 100000, LearningStarts: 1000, TrainEvery: 1, DirectUpdates: 1,
		EpsilonStart: 1, EpsilonEnd: 0.05, EpsilonSteps: 3000, ActionBins: 5,
		ModelHidden: []int{64, 64}, ModelActivation: nn.Tanh, Ensemble: 1, ModelEvery: 250,
		ModelSteps: 100, ModelBatch: 256, ModelLR: 1e-3, ModelBufferSize: 20000, EvalEpisodes: 10,
	}
}

// Validate returns a *config.Error naming the first invalid field.
func (c Config) Validate() error {
	v := config.Checker{Pkg: "dyna"}
	v.AtLeast("PlanningSteps", c.PlanningSteps, 0)
	v.AtLeast("RolloutLength", c.RolloutLength, 1)
	v.AtLeast("ExpansionSteps", c.ExpansionSteps, 1)
	v.AtLeast("PlanningUpdates", c.PlanningUpdates, 0)
	v.Check(c.PlanningActions == PlanUniform || c.PlanningActions == PlanPolicy, "PlanningActions", "must be uniform or policy, got %q", c.PlanningActions)
	v.Check(c.QTarget == TargetAuto || c.QTarget == TargetMax || c.QTarget == TargetDouble, "QTarget", "must be auto, max or double, got %q", c.QTarget)
	v.Check(c.ValueBound == BoundAuto || c.ValueBound == BoundRewards || c.ValueBound == BoundNone, "ValueBound", "must be auto, rewards or none, got %q", c.ValueBound)
	v.AtLeast("StepsPerIter", c.StepsPerIter, 1)
	v.Sizes("Hidden", c.Hidden)
	v.Check(c.Activation.Valid() == nil, "Activation", "must be tanh, relu or identity, got %q", c.Activation)
	v.AtLeast("Batch", c.Batch, 1)
	v.Check(c.Gamma > 0 && c.Gamma <= 1, "Gamma", "must be in (0, 1], got %v", c.Gamma)
	v.Positive("Adam.LR", c.Adam.LR)
	v.NonNegative("ClipNorm", c.ClipNorm)
	v.Check(c.Tau > 0 && c.Tau <= 1, "Tau", "must be in (0, 1], got %v", c.Tau)
	v.AtLeast("TargetEvery", c.TargetEvery, 0)
	v.AtLeast("BufferSize", c.BufferSize, 1)
	v.AtLeast("LearningStarts", c.LearningStarts, 1)
	v.AtLeast("TrainEvery", c.TrainEvery, 1)
	v.AtLeast("DirectUpdates", c.DirectUpdates, 1)
	v.In("EpsilonStart", c.EpsilonStart, 0, 1)
	v.In("EpsilonEnd", c.EpsilonEnd, 0, 1)
	v.AtLeast("EpsilonSteps", c.EpsilonSteps, 1)
	v.AtLeast("ActionBins", c.ActionBins, 2)
	v.Sizes("ModelHidden", c.ModelHidden)
	v.Check(c.ModelActivation.Valid() == nil, "ModelActivation", "must be tanh, relu or identity, got %q", c.ModelActivation)
	v.AtLeast("Ensemble", c.Ensemble, 1)
	v.AtLeast("ModelEvery", c.ModelEvery, 1)
	v.AtLeast("ModelSteps", c.ModelSteps, 1)
	v.AtLeast("ModelBatch", c.ModelBatch, 1)
	v.Positive("ModelLR", c.ModelLR)
	v.AtLeast("ModelBufferSize", c.ModelBufferSize, 1)
	v.AtLeast("EvalEpisodes", c.EvalEpisodes, 1)
	if c.TargetReturn != nil {
		v.Check(!math.IsNaN(*c.TargetReturn) && !math.IsInf(*c.TargetReturn, 0), "TargetReturn", "must be finite, got %v", *c.TargetReturn)
	}
	return v.Err()
}

// resolved validates c and replaces a zero PlanningUpdates by
// min(PlanningSteps, DirectUpdates).
func (c Config) resolved() (Config, error) {
	if err := c.Validate(); err != nil {
		return c, err
	}
	if c.PlanningUpdates == 0 {
		c.PlanningUpdates = min(c.PlanningSteps, c.DirectUpdates)
	}
	return c, nil
}
