// Tabular Dyna-Q.
//
// R. S. Sutton, "Integrated architectures for learning, planning, and
// reacting based on approximating dynamic programming", Proceedings of the
// Seventh International Conference on Machine Learning (ICML), 1990, pp.
// 216-224.
//
// R. S. Sutton and A. G. Barto, Reinforcement Learning: An Introduction, 2nd
// ed., MIT Press, 2018, section 8.2, the boxed algorithm "Tabular Dyna-Q" and
// Example 8.1 / Figure 8.2 (the Dyna maze).
//
// The file reads in the order of the book's box:
//
//	Initialize Q(s, a) and Model(s, a) for all s, a
//	Loop forever:
//	  (a) S <- current (nonterminal) state
//	  (b) A <- epsilon-greedy(S, Q)
//	  (c) Take action A; observe resultant reward, R, and state, S'
//	  (d) Q(S, A) <- Q(S, A) + alpha [R + gamma max_a Q(S', a) - Q(S, A)]
//	  (e) Model(S, A) <- R, S' (assuming deterministic environment)
//	  (f) Loop repeat n times:
//	        S <- random previously observed state
//	        A <- random action previously taken in S
//	        R, S' <- Model(S, A)
//	        Q(S, A) <- Q(S, A) + alpha [R + gamma max_a Q(S', a) - Q(S, A)]

package dynaq

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/envs"
)

// Run learns with tabular Dyna-Q on env for cfg.Episodes episodes. All
// randomness comes from rng: resets and exploration use it directly, and
// planning uses a stream split off it at the start. onEpisode, if
// not nil, is called after each episode with its index ep (0-based, the
// index into Result.StepsPerEpisode) and its number of steps.
func Run(env envs.Env, cfg Config, rng *rand.Rand, onEpisode func(ep, steps int)) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	if rng == nil {
		return Result{}, errors.New("dynaq: nil rng")
	}
	numStates, numActions, err := tableSize(env)
	if err != nil {
		return Result{}, err
	}

	// Initialize Q(s, a) = 0 and an empty Model(s, a). Planning draws from
	// its own stream, split off rng, so that acting consumes the same random
	// numbers whatever n is: with Q = 0 until the goal is first reached, the
	// first episode is then the same random walk for every n.
	ag := newAgent(numStates, numActions, cfg)
	planRng := rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
	steps := make([]int, cfg.Episodes)
	action := []float64{0} // reused: no allocation per step on our side

	for ep := range cfg.Episodes {
		// (a) S <- current state: the start of a new episode.
		s, err := stateOf(env.Reset(rng), numStates)
		if err != nil {
			return Result{}, err
		}
		for {
			// (b) A <- epsilon-greedy(S, Q), ties broken at random.
			a := ag.act(s, rng)

			// (c) Take action A; observe R, S'.
			action[0] = float64(a)
			obs, r, terminated, truncated := env.Step(action)
			next, err := stateOf(obs, numStates)
			if err != nil {
				return Result{}, err
			}
			steps[ep]++

			// (d) Direct RL: one-step Q-learning.
			ag.update(s, a, r, next, terminated)

			// (e) Model learning: Model(S, A) <- R, S', terminal.
			ag.remember(s, a, r, next, terminated)

			// (f) Planning: n updates on transitions from the model.
			for range cfg.PlanningSteps {
				ag.plan(planRng)
			}

			s = next
			if terminated || truncated || steps[ep] == cfg.MaxStepsPerEpisode {
				break
			}
		}
		if onEpisode != nil {
			onEpisode(ep, steps[ep])
		}
	}
	return Result{StepsPerEpisode: steps, Q: ag.q}, nil
}

// Result is the outcome of one run.
type Result struct {
	// StepsPerEpisode[ep] is the number of real steps of episode ep, the
	// y-axis of Figure 8.2.
	StepsPerEpisode []int
	// Q is the learned action-value table, row-major [states*actions]:
	// Q[s*actions+a].
	Q []float64
}

// The book's settings for the Dyna maze (Example 8.1, Figure 8.2), as
// DefaultConfig returns them, and RunMany's default number of runs.
const (
	DefaultAlpha    = 0.1
	DefaultEpsilon  = 0.1
	DefaultGamma    = 0.95
	DefaultEpisodes = 50
	DefaultRuns     = 30
)

// Config holds the hyper-parameters of Dyna-Q; DefaultConfig gives the
// book's settings.
type Config struct {
	// PlanningSteps is n, the number of planning updates from the model
	// after each real step (default 0: plain one-step Q-learning, the n = 0
	// curve of Figure 8.2); the book compares 0, 5 and 50.
	PlanningSteps int
	// Episodes is the number of episodes of a run (default 50).
	Episodes int
	// Alpha is the step size, in (0, 1] (default 0.1).
	Alpha float64
	// Epsilon is the exploration rate of the epsilon-greedy behaviour
	// policy, in [0, 1]: with probability Epsilon a uniformly random action,
	// otherwise a greedy one with ties broken uniformly at random (default
	// 0.1).
	Epsilon float64
	// Gamma is the discount factor, in [0, 1] (default 0.95).
	Gamma float64
	// MaxStepsPerEpisode is a safety cap for environments without a step
	// limit (the maze has none): an episode that reaches it ends as if
	// truncated (its last update still bootstraps, since the state is not
	// terminal) and the next one starts from Reset. 0 means no cap; the
	// environment's own MaxSteps limit applies in any case. The book's
	// algorithm has no cap, and the maze needs none: the first episode with
	// Q = 0 is a random walk of a few hundred to a few thousand steps.
	MaxStepsPerEpisode int
}

// DefaultConfig returns the book's settings: n = 0, 50 episodes, alpha =
// 0.1, epsilon = 0.1, gamma = 0.95, no step cap.
func DefaultConfig() Config {
	return Config{Episodes: DefaultEpisodes, Alpha: DefaultAlpha, Epsilon: DefaultEpsilon, Gamma: DefaultGamma}
}

// Validate returns a *config.Error naming the first invalid field.
func (cfg Config) Validate() error {
	v := config.Checker{Pkg: "dynaq"}
	v.AtLeast("PlanningSteps", cfg.PlanningSteps, 0)
	v.AtLeast("Episodes", cfg.Episodes, 0)
	v.Check(cfg.Alpha > 0 && cfg.Alpha <= 1, "Alpha", "must be in (0, 1], got %v", cfg.Alpha)
	v.In("Epsilon", cfg.Epsilon, 0, 1)
	v.Check(cfg.Gamma > 0 && cfg.Gamma <= 1, "Gamma", "must be in (0, 1], got %v", cfg.Gamma)
	v.AtLeast("MaxStepsPerEpisode", cfg.MaxStepsPerEpisode, 0)
	return v.Err()
}

// ErrNotDiscrete is returned for an environment whose observation or action
// space is not discrete.
var ErrNotDiscrete = errors.New("dynaq: tabular Dyna-Q needs discrete observation and action spaces")

// tableSize returns the number of states and actions of a discrete env.
func tableSize(env envs.Env) (numStates, numActions int, err error) {
	if env == nil {
		return 0, 0, errors.New("dynaq: nil env")
	}
	obs, act := env.ObservationSpace(), env.ActionSpace()
	if !obs.Discrete || !act.Discrete {
		return 0, 0, fmt.Errorf("%w: %s has observations %s and actions %s", ErrNotDiscrete, env.Name(), obs, act)
	}
	if obs.N <= 0 || act.N <= 0 || obs.N > math.MaxInt32 || act.N > math.MaxInt32 {
		return 0, 0, fmt.Errorf("dynaq: %s has %d states and %d actions", env.Name(), obs.N, act.N)
	}
	return obs.N, act.N, nil
}

// stateOf decodes a discrete observation (one float64 holding the index).
func stateOf(obs []float64, numStates int) (int, error) {
	if len(obs) != 1 || obs[0] != math.Trunc(obs[0]) || obs[0] < 0 || obs[0] >= float64(numStates) {
		return 0, fmt.Errorf("dynaq: observation %v is not a state in 0..%d", obs, numStates-1)
	}
	return int(obs[0]), nil
}

// agent holds the tables of Dyna-Q. Everything is allocated once in newAgent;
// acting, updating, remembering and planning never allocate.
type agent struct {
	numStates, numActions int
	alpha, epsilon, gamma float64

	// q is Q(s, a), row-major [numStates*numActions].
	q []float64

	// The model: for each observed (s, a), the last reward, next state and
	// whether the transition ended the episode, at index s*numActions+a.
	reward   []float64
	next     []int32
	terminal []bool
	known    []bool

	// Sampling "a random previously observed state, then a random action
	// previously taken in it" in O(1): observed lists the states with at
	// least one action taken; the actions taken in s are
	// taken[s*numActions : s*numActions+numTaken[s]].
	observed []int32
	taken    []int32
	numTaken []int32
}

func newAgent(numStates, numActions int, cfg Config) *agent {
	n := numStates * numActions
	return &agent{
		numStates: numStates, numActions: numActions,
		alpha: cfg.Alpha, epsilon: cfg.Epsilon, gamma: cfg.Gamma,
		q:        make([]float64, n),
		reward:   make([]float64, n),
		next:     make([]int32, n),
		terminal: make([]bool, n),
		known:    make([]bool, n),
		observed: make([]int32, 0, numStates),
		taken:    make([]int32, n),
		numTaken: make([]int32, numStates),
	}
}

// act is step (b): with probability epsilon a uniformly random action,
// otherwise argmax_a Q(s, a) with ties broken uniformly at random (with
// Q = 0 everywhere the greedy choice is a random action).
func (ag *agent) act(s int, rng *rand.Rand) int {
	if rng.Float64() < ag.epsilon {
		return rng.IntN(ag.numActions)
	}
	return argmaxRandom(ag.q[s*ag.numActions:(s+1)*ag.numActions], rng)
}

// argmaxRandom returns an index of the largest value of row, uniformly among
// ties (reservoir sampling: the k-th tie replaces the choice with
// probability 1/k).
func argmaxRandom(row []float64, rng *rand.Rand) int {
	best, ties := 0, 1
	for a := 1; a < len(row); a++ {
		switch {
		case row[a] > row[best]:
			best, ties = a, 1
		case row[a] == row[best]:
			ties++
			if rng.IntN(ties) == 0 {
				best = a
			}
		}
	}
	return best
}

// update is steps (d) and the last line of (f), one-step Q-learning:
// Q(S, A) += alpha [R + gamma max_a Q(S', a) - Q(S, A)], without the
// bootstrap term when S' is terminal (its value is 0 by definition).
func (ag *agent) update(s, a int, r float64, next int, terminal bool) {
	target := r
	if !terminal {
		row := ag.q[next*ag.numActions : (next+1)*ag.numActions]
		target += ag.gamma * maxOf(row)
	}
	i := s*ag.numActions + a
	ag.q[i] += ag.alpha * (target - ag.q[i])
}

func maxOf(row []float64) float64 {
	m := row[0]
	for _, v := range row[1:] {
		m = max(m, v)
	}
	return m
}

// remember is step (e): Model(S, A) <- R, S', terminal. The model is the
// deterministic table of the book: for a stochastic environment it keeps the
// last outcome seen.
func (ag *agent) remember(s, a int, r float64, next int, terminal bool) {
	i := s*ag.numActions + a
	if !ag.known[i] {
		ag.known[i] = true
		if ag.numTaken[s] == 0 {
			ag.observed = append(ag.observed, int32(s)) // within capacity numStates
		}
		ag.taken[s*ag.numActions+int(ag.numTaken[s])] = int32(a)
		ag.numTaken[s]++
	}
	ag.reward[i], ag.next[i], ag.terminal[i] = r, int32(next), terminal
}

// plan is one iteration of step (f): a random previously observed state, a
// random action previously taken in it, and a Q-learning update on the
// model's prediction. It must be called after at least one remember.
func (ag *agent) plan(rng *rand.Rand) {
	s, a := ag.sample(rng)
	i := s*ag.numActions + a
	ag.update(s, a, ag.reward[i], int(ag.next[i]), ag.terminal[i])
}

// sample draws S uniformly among the previously observed states, then A
// uniformly among the actions previously taken in S.
func (ag *agent) sample(rng *rand.Rand) (s, a int) {
	s = int(ag.observed[rng.IntN(len(ag.observed))])
	a = int(ag.taken[s*ag.numActions+rng.IntN(int(ag.numTaken[s]))])
	return s, a
}
