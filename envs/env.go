package envs

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	G "gorgonia.org/gorgonia"
)

// Space describes an observation or action space: either a continuous box
// with per-dimension bounds, or a discrete set {0, ..., N-1} encoded as a
// single float64 holding the integer index.
type Space struct {
	Discrete bool      `json:"discrete"`
	N        int       `json:"n,omitempty"`    // number of discrete values
	Low      []float64 `json:"low,omitempty"`  // box lower bounds (may be -Inf)
	High     []float64 `json:"high,omitempty"` // box upper bounds (may be +Inf)
}

// Box returns a continuous space with the given bounds.
func Box(low, high []float64) Space { return Space{Low: low, High: high} }

// DiscreteSpace returns the discrete space {0, ..., n-1}.
func DiscreteSpace(n int) Space { return Space{Discrete: true, N: n} }

// Dim returns the length of a vector in the space: len(Low) for a box, 1 for a
// discrete space.
func (s Space) Dim() int {
	if s.Discrete {
		return 1
	}
	return len(s.Low)
}

// String describes the space, e.g. "box(3) [-2, 2]" or "discrete(2)".
func (s Space) String() string {
	if s.Discrete {
		return fmt.Sprintf("discrete(%d)", s.N)
	}
	if len(s.Low) == 0 || len(s.High) != len(s.Low) {
		return fmt.Sprintf("box(%d)", len(s.Low))
	}
	lo, hi := s.Low[0], s.High[0]
	same := true
	for i := range s.Low {
		if s.Low[i] != lo || s.High[i] != hi {
			same = false
		}
	}
	if same {
		return fmt.Sprintf("box(%d) [%g, %g]", len(s.Low), lo, hi)
	}
	return fmt.Sprintf("box(%d)", len(s.Low))
}

// Sample draws a uniform element of the space into dst (len Dim). Unbounded
// box dimensions are drawn from a standard normal instead.
func (s Space) Sample(dst []float64, rng *rand.Rand) {
	if s.Discrete {
		dst[0] = float64(rng.IntN(s.N))
		return
	}
	for i := range s.Low {
		lo, hi := s.Low[i], s.High[i]
		if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
			dst[i] = rng.NormFloat64()
			continue
		}
		dst[i] = lo + (hi-lo)*rng.Float64()
	}
}

// Validate checks that a has the right length, is finite and, for a discrete
// space, is an integer in range. Box actions outside the bounds are valid:
// environments clip them, as Gymnasium does.
func (s Space) Validate(a []float64) error {
	if len(a) != s.Dim() {
		return fmt.Errorf("envs: action has %d values, the space %s needs %d", len(a), s, s.Dim())
	}
	for _, v := range a {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("envs: action %v is not finite", a)
		}
	}
	if s.Discrete {
		v := a[0]
		if v != math.Trunc(v) || v < 0 || int(v) >= s.N {
			return fmt.Errorf("envs: action %g is not one of the discrete actions 0..%d", v, s.N-1)
		}
	}
	return nil
}

// Clip writes a clipped into the box bounds into dst (which may alias a).
// Discrete spaces are copied unchanged.
func (s Space) Clip(dst, a []float64) {
	if s.Discrete {
		copy(dst, a)
		return
	}
	for i, v := range a {
		dst[i] = math.Min(math.Max(v, s.Low[i]), s.High[i])
	}
}

// Env is a Gymnasium-style episodic environment. Reset starts an episode from
// the environment's reset distribution; Step advances it by one action and
// reports terminated (a terminal state of the MDP was reached) apart from
// truncated (the episode limit was hit). Observations returned by Reset and
// Step are owned by the caller.
//
// Implementations are not safe for concurrent use; make one per goroutine
// with Make.
type Env interface {
	// Name is the registry name, e.g. "pendulum".
	Name() string
	ObservationSpace() Space
	ActionSpace() Space
	// MaxSteps is the episode limit after which Step reports truncated; 0
	// means no limit.
	MaxSteps() int
	// Reset samples an initial state with rng and returns its observation.
	Reset(rng *rand.Rand) []float64
	// Step applies action (len ActionSpace().Dim(); continuous actions are
	// clipped to the bounds, discrete ones must be valid) and returns the next
	// observation, the reward, and whether the episode terminated or was
	// truncated.
	Step(action []float64) (obs []float64, reward float64, terminated, truncated bool)
	// State returns a copy of the full internal state (which may differ from
	// the observation, e.g. pendulum's [theta, thetadot]).
	State() []float64
	// SetState starts an episode from the given internal state (step counter
	// reset to 0) and returns its observation.
	SetState(x []float64) ([]float64, error)
	// StateDim is the length of State().
	StateDim() int
}

// Dynamics is a known deterministic transition x' = f(x, u) on the internal
// state, its Jacobians, a per-step cost c(x, u) with its derivatives, the map
// from state to observation, and the same transition and cost as Gorgonia
// graph operations. Control (LQR, iLQR) and BPTT through the true dynamics use
// it. Actions are continuous (len ActionDim); f clips them to ActionBounds
// before use, as the environment does.
//
// Matrices are row-major []float64: fx is [n, n], fu is [n, m].
type Dynamics interface {
	StateDim() int
	ActionDim() int
	ObsDim() int
	ActionBounds() (low, high []float64)
	// Next writes f(x, u) into dst (len StateDim); dst may alias x.
	Next(dst, x, u []float64)
	// Jacobians writes df/dx into fx and df/du into fu at (x, u).
	Jacobians(fx, fu, x, u []float64)
	// Cost is the per-step cost c(x, u); for environments whose reward is a
	// cost, reward = -Cost.
	Cost(x, u []float64) float64
	// CostDerivs fills d with c and its first and second derivatives at (x, u).
	CostDerivs(d *CostDerivs, x, u []float64)
	// Obs writes the observation of state x into dst (len ObsDim).
	Obs(dst, x []float64)
	// StateFromObs writes the state whose observation is obs into dst.
	StateFromObs(dst, obs []float64)
	// GraphNext builds f for a batch: x [B, n], u [B, m] -> [B, n]. Nodes
	// are float64 matrices; any B >= 1 works. The Graph methods use only ops
	// with symbolic derivatives (G.Grad), clamps and angle wraps included.
	GraphNext(x, u *G.Node) (*G.Node, error)
	// GraphCost builds the per-row cost for a batch: x [B, n], u [B, m] -> [B].
	GraphCost(x, u *G.Node) (*G.Node, error)
	// GraphObs builds the observation of a batch of states: [B, n] -> [B, ObsDim].
	GraphObs(x *G.Node) (*G.Node, error)
}

// CostDerivs holds a per-step cost and its derivatives at one (x, u):
// Lx [n], Lu [m], Lxx [n, n], Luu [m, m], Lux [m, n] (row-major).
type CostDerivs struct {
	L             float64
	Lx, Lu        []float64
	Lxx, Luu, Lux []float64
}

// NewCostDerivs allocates derivative buffers for n states and m actions.
func NewCostDerivs(n, m int) *CostDerivs {
	return &CostDerivs{
		Lx: make([]float64, n), Lu: make([]float64, m),
		Lxx: make([]float64, n*n), Luu: make([]float64, m*m), Lux: make([]float64, m*n),
	}
}

// Zero sets every derivative to zero, for accumulating into d.
func (d *CostDerivs) Zero() {
	d.L = 0
	clear(d.Lx)
	clear(d.Lu)
	clear(d.Lxx)
	clear(d.Luu)
	clear(d.Lux)
}

// Known is implemented by environments whose dynamics are known.
type Known interface {
	Dynamics() Dynamics
}

// ActionMapper is implemented by environments with known dynamics whose Step
// action is not the action of their Dynamics: CartPole maps its discrete push
// to a force. DynamicsAction writes into dst (len Dynamics().ActionDim()) the
// dynamics action that Step applies for action.
type ActionMapper interface {
	DynamicsAction(dst, action []float64)
}

// CostReward is implemented by environments with known dynamics that report
// whether Step's reward is exactly -Dynamics().Cost(x, u) of the state before
// the step (true for pendulum and linear; false for the cart-poles, whose
// Dynamics cost is a control cost and whose reward is 1 per step alive).
type CostReward interface {
	RewardIsNegCost() bool
}

// DynamicsOf returns the known dynamics of env, or false if it has none.
func DynamicsOf(env Env) (Dynamics, bool) {
	k, ok := env.(Known)
	if !ok {
		return nil, false
	}
	return k.Dynamics(), true
}

// registry maps names to constructors. It is built by a function, not held
// in mutable package state.
func registry() map[string]func() Env {
	return map[string]func() Env{
		"pendulum":            func() Env { return NewPendulum() },
		"cartpole":            func() Env { return NewCartPole() },
		"cartpole-continuous": func() Env { return NewCartPoleContinuous() },
		"linear":              func() Env { return NewLinear(DefaultLinearConfig()) },
		"maze":                func() Env { return NewMaze() },
	}
}

// ErrUnknownEnv is returned by Make for a name that is not registered.
var ErrUnknownEnv = fmt.Errorf("envs: unknown environment")

// Names lists the registered environment names in sorted order.
func Names() []string {
	r := registry()
	names := make([]string, 0, len(r))
	for n := range r {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Make returns a new instance of the named environment.
func Make(name string) (Env, error) {
	mk, ok := registry()[name]
	if !ok {
		return nil, fmt.Errorf("%w %q (valid: %s)", ErrUnknownEnv, name, strings.Join(Names(), ", "))
	}
	return mk(), nil
}
