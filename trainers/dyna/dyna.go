// Dyna with a learned neural model.
//
// R. S. Sutton, "Integrated architectures for learning, planning, and
// reacting based on approximating dynamic programming", ICML 1990; R. S.
// Sutton and A. G. Barto, Reinforcement Learning: An Introduction, 2nd ed.,
// 2018, section 8.2 (the Dyna architecture). The value learner is DQN (Mnih
// et al. 2015); the model is a neural dynamics and reward model refitted on
// the real data, and planning generates short model rollouts from real
// states into a separate buffer (Holland, Talvitie & Bowling, "The effect of
// planning shape on Dyna-style planning in high-dimensional state spaces",
// 2018; Janner, Fu, Zhang & Levine, "When to trust your model: model-based
// policy optimization" (MBPO), NeurIPS 2019).
//
// Each real step follows the Dyna loop of the book:
//
//	(a) S <- current state
//	(b) A <- epsilon-greedy(S, Q)
//	(c) take A; observe R, S'; store (S, A, R, S') in the real buffer
//	(d) direct RL: one DQN update on a minibatch of real transitions
//	(e) model learning: every ModelEvery steps refit dynamics and reward
//	(f) planning: K simulated transitions from states of the real buffer,
//	    rolled out h steps through the model with uniformly random actions
//	    (or, with PlanPolicy, the exploration policy), each expanded n
//	    steps further with the greedy actions (model-based value
//	    expansion, Feinberg et al. 2018), into the model buffer;
//	    min(K, DirectUpdates) DQN updates on minibatches of it

package dyna

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
)

// Trainer is Dyna with a DQN learner and a learned neural model; with
// PlanningSteps 0 it is plain DQN. It implements common.Trainer: one
// iteration is StepsPerIter real steps followed by an evaluation of the
// greedy policy. Metrics: env_steps, episodes, epsilon, train_return (mean
// return of the episodes finished in the iteration), q_loss (mean Huber loss
// of the iteration's updates), q_updates, model_loss (normalised MSE of the
// dynamics at the last refit), reward_loss, model_transitions (simulated
// transitions so far), q_recent (the mean max_a Q over the latest 1000
// real observations: the values' climb towards their bound, package
// documentation), eval_return and eval_std.
type Trainer struct {
	cfg     Config
	makeEnv func() (envs.Env, error)
	env     envs.Env
	actions *Actions
	obsDim  int
	maxEp   int
	term    func([]float64) bool

	q     *nn.QNetwork
	learn *qLearner
	model Model         // used for planning
	lm    *learnedModel // nil when Config.Model is given or K = 0

	real, sim                 *common.Buffer
	realAdds                  int64
	simAdds                   int64
	pcgs                      [7]*rand.PCG
	envRng, explore           *rand.Rand
	batchRng, fitRng, planRng *rand.Rand

	// progress
	envSteps, episodes int
	obs                []float64
	epSteps            int
	epReturn           float64
	dynLoss, rewLoss   float64
	rewMin, rewMax     float64 // range of the real rewards so far
	modelFitted        bool
	stepsToTarget      int // -1: not reached
	done               bool
	lastEval           *common.EvalResult

	// scratch
	envAct                  []float64
	qValues                 []float64
	idx, bIdx               []int
	bObs, bNext, bRew, bAct []float64
	bTerm                   []bool
	simObs, simNext         []float64
	expObs, expNext         []float64
	simDiscount             float64 // gamma^ExpansionSteps
	kBuf                    []float64
}

var _ common.Trainer = (*Trainer)(nil)

// Iterate runs StepsPerIter real steps of Dyna and evaluates the greedy
// policy.
func (t *Trainer) Iterate(ctx context.Context, iter int) ([]common.Metric, error) {
	if t.done {
		return nil, nil
	}
	var qLoss float64
	var qUpdates, finished int
	var retSum float64
	for s := range t.cfg.StepsPerIter {
		if s%256 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// (a) S is t.obs. (b) A <- epsilon-greedy(S, Q).
		eps := t.epsilon(t.envSteps)
		if t.envSteps < t.cfg.LearningStarts {
			eps = t.cfg.EpsilonStart
		}
		k := t.act(t.obs, eps, t.explore)

		// (c) Take A; observe R, S'. Truncation at the env's limit is
		// counted here too, so that a resumed episode (SetState resets
		// the env's own counter) ends at the same step.
		t.actions.EnvAction(t.envAct, k)
		next, r, term, trunc := t.env.Step(t.envAct)
		if err := envs.Err(t.env); err != nil {
			return nil, fmt.Errorf("dyna: %w", err)
		}
		t.envSteps++
		t.epSteps++
		t.epReturn += r
		if t.maxEp > 0 && t.epSteps >= t.maxEp {
			trunc = true
		}
		t.kBuf[0] = float64(k)
		t.real.Add(t.obs, t.kBuf, r, next, term)
		t.realAdds++
		t.seeReward(r)
		if term || trunc {
			finished++
			retSum += t.epReturn
			t.episodes++
			t.obs = t.env.Reset(t.envRng)
			if err := envs.Err(t.env); err != nil {
				return nil, fmt.Errorf("dyna: %w", err)
			}
			t.epSteps, t.epReturn = 0, 0
		} else {
			t.obs = next
		}
		if t.envSteps < t.cfg.LearningStarts {
			continue
		}
		if t.envSteps == t.cfg.LearningStarts && t.cfg.NormaliseObs {
			t.fitQNormaliser()
		}

		// (d) Direct RL: DQN updates on real transitions.
		if t.envSteps%t.cfg.TrainEvery == 0 {
			for range t.cfg.DirectUpdates {
				l, err := t.qUpdate(t.real)
				if err != nil {
					return nil, err
				}
				qLoss += l
				qUpdates++
			}
		}

		// (e) Model learning.
		if t.lm != nil && (t.envSteps-t.cfg.LearningStarts)%t.cfg.ModelEvery == 0 {
			dl, rl, err := t.lm.fit(t.real, t.cfg.ModelSteps, t.fitRng)
			if err != nil {
				return nil, err
			}
			t.dynLoss, t.rewLoss, t.modelFitted = dl, rl, true
		}

		// (f) Planning: simulated transitions, then Q updates on them.
		if t.cfg.PlanningSteps > 0 {
			simEps := eps
			if t.cfg.PlanningActions == PlanUniform {
				simEps = 1
			}
			t.simulate(t.cfg.PlanningSteps, simEps)
			for range t.cfg.PlanningUpdates {
				l, err := t.qUpdateDiscounted(t.sim, t.simDiscount)
				if err != nil {
					return nil, err
				}
				qLoss += l
				qUpdates++
			}
		}
		// Hard target copies count real steps; Polyak averaging happened
		// in every update.
		t.learn.updateTarget()
	}

	ms := []common.Metric{
		{Name: "env_steps", Value: float64(t.envSteps)},
		{Name: "episodes", Value: float64(t.episodes)},
		{Name: "epsilon", Value: t.epsilon(t.envSteps)},
	}
	if finished > 0 {
		ms = append(ms, common.Metric{Name: "train_return", Value: retSum / float64(finished)})
	}
	if qUpdates > 0 {
		ms = append(ms, common.Metric{Name: "q_loss", Value: qLoss / float64(qUpdates)})
	}
	ms = append(ms, common.Metric{Name: "q_updates", Value: float64(t.learn.updates)})
	if t.modelFitted {
		ms = append(ms, common.Metric{Name: "model_loss", Value: t.dynLoss}, common.Metric{Name: "reward_loss", Value: t.rewLoss})
	}
	if t.cfg.PlanningSteps > 0 {
		ms = append(ms, common.Metric{Name: "model_transitions", Value: float64(t.simAdds)})
	}
	if t.real.Len() > 0 {
		ms = append(ms, common.Metric{Name: "q_recent", Value: t.recentQ(qRecent)})
	}
	res, err := t.Evaluate(t.cfg.EvalEpisodes)
	if err != nil {
		return nil, err
	}
	t.lastEval = &res
	ms = append(ms, common.Metric{Name: "eval_return", Value: res.Mean}, common.Metric{Name: "eval_std", Value: res.Std})
	if tr := t.cfg.TargetReturn; tr != nil && t.stepsToTarget < 0 && res.Mean >= *tr {
		t.stepsToTarget = t.envSteps
		t.done = t.cfg.StopAtTarget
	}
	return ms, nil
}

// The PCG streams of the trainer's random numbers (all with Config.Seed).
const (
	StreamQInit     = 0 // Q-network initialisation
	StreamModelInit = 1 // model initialisation
	StreamEnv       = 2 // real environment resets
	StreamExplore   = 3 // epsilon-greedy choices in the real environment
	StreamBatch     = 4 // Q-update minibatches (real and simulated)
	StreamModelFit  = 5 // model-fitting minibatches
	StreamPlan      = 6 // planning: start states, simulated exploration, ensemble members
)

// New returns a Trainer on environments made by makeEnv: one for the real
// steps and one per evaluation worker. The Q training graph and the
// model-fitting graphs are built here, once.
func New(cfg Config, makeEnv func() (envs.Env, error)) (*Trainer, error) {
	cfg, err := cfg.resolved()
	if err != nil {
		return nil, err
	}
	if makeEnv == nil {
		return nil, errors.New("dyna: New needs an environment constructor")
	}
	env, err := makeEnv()
	if err != nil {
		return nil, fmt.Errorf("dyna: %w", err)
	}
	obsSpace := env.ObservationSpace()
	if obsSpace.Discrete {
		return nil, fmt.Errorf("dyna: %s has discrete observations; the neural Dyna needs vectors (use 'mbrl train dynaq' for tabular envs)", env.Name())
	}
	actions, err := NewActions(env.ActionSpace(), cfg.ActionBins)
	if err != nil {
		return nil, err
	}
	t := &Trainer{cfg: cfg, makeEnv: makeEnv, env: env, actions: actions, obsDim: obsSpace.Dim(), maxEp: env.MaxSteps(), stepsToTarget: -1}
	for i := range t.pcgs {
		t.pcgs[i] = rand.NewPCG(cfg.Seed, uint64(i))
	}
	t.envRng, t.explore = rand.New(t.pcgs[StreamEnv]), rand.New(t.pcgs[StreamExplore])
	t.batchRng, t.fitRng, t.planRng = rand.New(t.pcgs[StreamBatch]), rand.New(t.pcgs[StreamModelFit]), rand.New(t.pcgs[StreamPlan])

	// The Q-network and its learner.
	t.q, err = nn.NewQNetwork("q", nn.QArch{ObsDim: t.obsDim, NumActions: actions.N(), Hidden: cfg.Hidden, Activation: cfg.Activation, ObsNorm: cfg.NormaliseObs},
		rand.New(t.pcgs[StreamQInit]))
	if err != nil {
		return nil, fmt.Errorf("dyna: %w", err)
	}
	hard := cfg.TargetEvery
	tau := cfg.Tau
	if hard > 0 {
		tau = 0
	}
	t.learn, err = newQLearner(t.q, qConfig{batch: cfg.Batch, gamma: cfg.Gamma, double: cfg.QTarget == TargetDouble || cfg.QTarget == TargetAuto && cfg.PlanningSteps > 0,
		bounded: cfg.ValueBound == BoundRewards || cfg.ValueBound == BoundAuto && cfg.PlanningSteps > 0, clip: cfg.ClipNorm, tau: tau, hardEvery: hard, adam: cfg.Adam})
	if err != nil {
		return nil, err
	}

	// The model, its termination rule and the two buffers.
	t.model = cfg.Model
	if t.model == nil && cfg.PlanningSteps > 0 {
		t.lm, err = newLearnedModel(actions, t.obsDim, &cfg, rand.New(t.pcgs[StreamModelInit]))
		if err != nil {
			t.learn.close()
			return nil, err
		}
		t.model = t.lm
	}
	switch {
	case cfg.IgnoreTermination:
	case cfg.Terminal != nil:
		t.term = cfg.Terminal
	default:
		t.term = TerminalFunc(env)
	}
	t.real = common.NewBuffer(t.obsDim, 1, cfg.BufferSize)
	t.sim = common.NewBuffer(t.obsDim, 1, cfg.ModelBufferSize)

	b := cfg.Batch
	t.envAct = make([]float64, actions.EnvDim())
	t.qValues = make([]float64, actions.N())
	t.idx, t.bIdx = make([]int, b), make([]int, b)
	t.bObs, t.bNext, t.bRew, t.bAct, t.bTerm = make([]float64, b*t.obsDim), make([]float64, b*t.obsDim), make([]float64, b), make([]float64, b), make([]bool, b)
	t.simObs, t.simNext = make([]float64, t.obsDim), make([]float64, t.obsDim)
	t.expObs, t.expNext = make([]float64, t.obsDim), make([]float64, t.obsDim)
	t.simDiscount = math.Pow(cfg.Gamma, float64(cfg.ExpansionSteps))
	t.kBuf = make([]float64, 1)
	t.obs = env.Reset(t.envRng)
	if err := envs.Err(env); err != nil {
		return nil, fmt.Errorf("dyna: %w", err)
	}
	return t, nil
}

// Close releases the graphs' machines.
func (t *Trainer) Close() {
	t.learn.close()
	if t.lm != nil {
		t.lm.close()
	}
}

// Q returns the Q-network being trained (shared, not a copy).
func (t *Trainer) Q() *nn.QNetwork { return t.q }

// Actions returns the action set of the Q-network.
func (t *Trainer) Actions() *Actions { return t.actions }

// EnvSteps returns the number of real environment steps taken.
func (t *Trainer) EnvSteps() int { return t.envSteps }

// StepsToTarget returns the real steps taken when the evaluation mean
// return first reached Config.TargetReturn, and whether it has.
func (t *Trainer) StepsToTarget() (int, bool) { return t.stepsToTarget, t.stepsToTarget >= 0 }

// Done reports that the target was reached with StopAtTarget set: further
// iterations do nothing.
func (t *Trainer) Done() bool { return t.done }

// LastEval returns the last evaluation (nil before the first).
func (t *Trainer) LastEval() *common.EvalResult { return t.lastEval }

// Models returns the Q-network and, when learned, the dynamics model (or
// ensemble) and the reward model.
func (t *Trainer) Models() []nn.Model {
	ms := []nn.Model{t.q}
	if t.lm != nil {
		ms = append(ms, t.lm.models()...)
	}
	return ms
}

// Policy returns a new greedy policy over a copy of the current Q-network,
// acting in the environment's action space.
func (t *Trainer) Policy() common.Policy {
	return &GreedyPolicy{Q: t.q.Clone(), Actions: t.actions}
}

// GreedyPolicy acts with argmax_a Q(obs, a), mapped to the environment's
// action by Actions. Not safe for concurrent use.
type GreedyPolicy struct {
	Q       *nn.QNetwork
	Actions *Actions
}

// Act writes the greedy action for obs into dst.
func (p *GreedyPolicy) Act(dst, obs []float64) { p.Actions.EnvAction(dst, p.Q.Greedy(obs)) }

// epsilon is the exploration rate after steps real steps: linear from
// EpsilonStart to EpsilonEnd over EpsilonSteps, constant after.
func (t *Trainer) epsilon(steps int) float64 {
	f := min(1, float64(steps)/float64(t.cfg.EpsilonSteps))
	return t.cfg.EpsilonStart + f*(t.cfg.EpsilonEnd-t.cfg.EpsilonStart)
}

// act is epsilon-greedy on the online Q-network; before LearningStarts the
// exploration rate is EpsilonStart.
func (t *Trainer) act(obs []float64, eps float64, rng *rand.Rand) int {
	if rng.Float64() < eps {
		return rng.IntN(t.actions.N())
	}
	return t.q.Greedy(obs)
}

// Evaluate runs episodes greedy episodes of the current Q-network in fresh
// environments (common.Evaluate with seed Config.Seed: the same starts for
// every call and any number of workers).
func (t *Trainer) Evaluate(episodes int) (common.EvalResult, error) {
	res, err := common.Evaluate(t.makeEnv, func() (common.Policy, error) { return t.Policy(), nil },
		common.EvalConfig{Episodes: episodes, Seed: t.cfg.Seed})
	if err != nil {
		return res, fmt.Errorf("dyna: %w", err)
	}
	return res, nil
}

// fitQNormaliser fits the Q-network's observation normaliser (and the
// target's) to the observations collected before learning starts.
func (t *Trainer) fitQNormaliser() {
	n := t.real.Len()
	t.q.Normaliser().Fit(t.real.Obs[:n*t.obsDim], n, t.obsDim)
	t.learn.syncNormaliser()
}

// qRecent is the number of latest real observations recentQ averages over.
const qRecent = 1000

// recentQ returns the mean of max_a Q(s, a) over the n latest observations
// of the real buffer (fewer if it holds fewer): the value the learner puts
// on the states its policy visits now, bounded by max r / (1 - gamma) in
// truth (100 on CartPole), so values above the bound are overestimation.
func (t *Trainer) recentQ(n int) float64 {
	size := t.real.Len()
	n = min(n, size)
	var sum float64
	for j := range n {
		i := int((t.realAdds - 1 - int64(j)) % int64(t.cfg.BufferSize))
		t.q.Values(t.qValues, t.real.Obs[i*t.obsDim:(i+1)*t.obsDim])
		sum += maxOf(t.qValues)
	}
	return sum / float64(n)
}

// maxOf returns the largest element of the non-empty xs.
func maxOf(xs []float64) float64 {
	m := xs[0]
	for _, x := range xs[1:] {
		m = max(m, x)
	}
	return m
}

// qUpdate does one DQN update on a minibatch drawn from buf.
func (t *Trainer) qUpdate(buf *common.Buffer) (float64, error) {
	return t.qUpdateDiscounted(buf, t.cfg.Gamma)
}

// qUpdateDiscounted is qUpdate with the bootstrap discounted by discount.
func (t *Trainer) qUpdateDiscounted(buf *common.Buffer, discount float64) (float64, error) {
	if err := buf.SampleIndices(t.idx, t.batchRng); err != nil {
		return 0, fmt.Errorf("dyna: %w", err)
	}
	buf.Gather(t.idx, t.bObs, t.bAct, t.bRew, t.bNext, t.bTerm)
	for i, a := range t.bAct {
		t.bIdx[i] = int(a)
	}
	return t.learn.updateDiscounted(t.bObs, t.bIdx, t.bRew, t.bNext, t.bTerm, discount)
}

// seeReward widens the range of real rewards seen by r and passes it to
// the learner's value bounds.
func (t *Trainer) seeReward(r float64) {
	if t.realAdds == 1 {
		t.rewMin, t.rewMax = r, r
	}
	t.rewMin, t.rewMax = min(t.rewMin, r), max(t.rewMax, r)
	t.learn.setRewardRange(t.rewMin, t.rewMax)
}

// terminal applies the termination rule of simulated observations.
func (t *Trainer) terminal(obs []float64) bool { return t.term != nil && t.term(obs) }

// expand is model-based value expansion (Feinberg et al., "Model-based
// value estimation for efficient model-free reinforcement learning",
// 2018, eq. 3, with Q-learning's greedy actions): from the model's next
// observation s1 after reward r0 it continues the rollout n-1 steps with
// the online network's greedy actions and returns the discounted reward
// sum r0 + gamma r1 + ... + gamma^(n-1) r(n-1), the observation s_n it
// reached and whether the rollout terminated on the way (then s_n is the
// terminal observation and the sum has fewer terms). The transition
// (s0, a0, sum, s_n) is then bootstrapped with gamma^n (simDiscount). s1
// is not modified.
func (t *Trainer) expand(r0 float64, s1 []float64, n int) (ret float64, last []float64, term bool) {
	cur, nxt := t.expObs, t.expNext
	copy(cur, s1)
	ret, disc := r0, t.cfg.Gamma
	for range n - 1 {
		r := t.model.Sample(nxt, cur, t.q.Greedy(cur), t.planRng)
		ret += disc * r
		disc *= t.cfg.Gamma
		cur, nxt = nxt, cur
		if t.terminal(cur) {
			return ret, cur, true
		}
	}
	return ret, cur, false
}

// simulate is step (f)'s model rollouts: k simulated transitions from
// rollouts of up to RolloutLength steps, each starting at an observation
// drawn uniformly from the real buffer, with actions epsilon-greedy at
// rate eps (1: uniformly random, PlanUniform) and a rollout ending early
// at a terminal observation.
func (t *Trainer) simulate(k int, eps float64) {
	h := t.cfg.RolloutLength
	for made := 0; made < k; {
		i := t.planRng.IntN(t.real.Len())
		copy(t.simObs, t.real.Obs[i*t.obsDim:(i+1)*t.obsDim])
		for step := 0; step < h && made < k; step++ {
			a := t.act(t.simObs, eps, t.planRng)
			r := t.model.Sample(t.simNext, t.simObs, a, t.planRng)
			term := t.terminal(t.simNext)
			t.kBuf[0] = float64(a)
			if n := t.cfg.ExpansionSteps; n > 1 && !term {
				ret, last, end := t.expand(r, t.simNext, n)
				t.sim.Add(t.simObs, t.kBuf, ret, last, end)
			} else {
				t.sim.Add(t.simObs, t.kBuf, r, t.simNext, term)
			}
			t.simAdds++
			made++
			if term {
				break
			}
			t.simObs, t.simNext = t.simNext, t.simObs
		}
	}
}
