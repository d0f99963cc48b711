package gps

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/mbrl/mbrl/nn"
)

// state is the trainer's non-weight state for a bit-exact resume. The
// states X are not stored: they are the rollout of U from the conditions.
type state struct {
	Started bool        `json:"started"`
	U       [][]float64 `json:"u"` // [K][T*m]
	Duals
	Adam nn.AdamState `json:"adam"`
	RNG  []byte       `json:"rng"`
}

// Duals is the resume state of the augmented Lagrangian's dual variables
// and penalties, per condition; both forms of GPS (this package's and
// lggps's) embed it in theirs.
type Duals struct {
	Lambda   [][]float64 `json:"lambda"` // [K][T*m]
	Rho      [][]float64 `json:"rho"`    // [K][T]
	PrevViol []*float64  `json:"prev_violation"`
}

// Add appends one condition: lambda [T][m], rho [T] and the previous
// violation (NaN: none yet).
func (d *Duals) Add(lambda [][]float64, rho []float64, prevViol float64) {
	d.Lambda = append(d.Lambda, Flat(lambda))
	d.Rho = append(d.Rho, append([]float64(nil), rho...))
	var pv *float64
	if !math.IsNaN(prevViol) {
		pv = &prevViol
	}
	d.PrevViol = append(d.PrevViol, pv)
}

// Set writes condition k's state into lambda, rho and *prevViol (sizes
// checked by the caller).
func (d *Duals) Set(k int, lambda [][]float64, rho []float64, prevViol *float64) {
	Unflat(lambda, d.Lambda[k])
	copy(rho, d.Rho[k])
	*prevViol = math.NaN()
	if d.PrevViol[k] != nil {
		*prevViol = *d.PrevViol[k]
	}
}

// State encodes the trajectories' controls, the dual variables and
// penalties, the optimiser's moments and the minibatch stream.
func (t *Trainer) State() (json.RawMessage, error) {
	rng, err := t.pcg.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("gps: %w", err)
	}
	st := state{Started: t.started, Adam: t.reg.Optimizer().State(), RNG: rng}
	for k := range t.K {
		st.U = append(st.U, Flat(t.U[k]))
		st.Add(t.lambda[k], t.rho[k], t.prevViol[k])
	}
	return json.Marshal(st)
}

// Restore sets the state saved by State (of a trainer with the same
// configuration) and rolls the trajectories out again.
func (t *Trainer) Restore(raw json.RawMessage) error {
	var st state
	if err := json.Unmarshal(raw, &st); err != nil {
		return fmt.Errorf("gps: trainer state: %w", err)
	}
	if len(st.U) != t.K || len(st.Lambda) != t.K || len(st.Rho) != t.K || len(st.PrevViol) != t.K {
		return fmt.Errorf("gps: trainer state has %d conditions, this run has %d (same --conditions needed)", len(st.U), t.K)
	}
	for k := range t.K {
		if len(st.U[k]) != t.T*t.m || len(st.Lambda[k]) != t.T*t.m || len(st.Rho[k]) != t.T {
			return fmt.Errorf("gps: trainer state of condition %d does not fit horizon %d with %d actions", k, t.T, t.m)
		}
	}
	if err := t.reg.Optimizer().SetState(st.Adam); err != nil {
		return fmt.Errorf("gps: trainer state: %w", err)
	}
	if err := t.pcg.UnmarshalBinary(st.RNG); err != nil {
		return fmt.Errorf("gps: trainer state: %w", err)
	}
	t.started = st.Started
	for k := range t.K {
		Unflat(t.U[k], st.U[k])
		st.Set(k, t.lambda[k], t.rho[k], &t.prevViol[k])
		copy(t.X[k][0], t.x0[k])
		for s := range t.T {
			t.sys.Next(t.X[k][s+1], t.X[k][s], t.U[k][s])
		}
	}
	return t.refreshWorkers()
}

// Flat returns the rows of a concatenated (how a resume state stores a
// [T][m] table).
func Flat(a [][]float64) []float64 {
	var out []float64
	for _, r := range a {
		out = append(out, r...)
	}
	return out
}

// Unflat copies src into the rows of dst in order (the inverse of Flat).
func Unflat(dst [][]float64, src []float64) {
	c := 0
	for _, r := range dst {
		c += copy(r, src[c:])
	}
}

// Conditions returns copies of the initial states x_0 of the conditions.
func (t *Trainer) Conditions() [][]float64 { return cp2(t.x0) }

// Trajectory returns copies of condition k's states [T+1][n] and controls
// [T][m].
func (t *Trainer) Trajectory(k int) (x, u [][]float64) { return cp2(t.X[k]), cp2(t.U[k]) }

// Lambda returns a copy of condition k's dual variables [T][m].
func (t *Trainer) Lambda(k int) [][]float64 { return cp2(t.lambda[k]) }

// Rho returns a copy of condition k's penalties [T].
func (t *Trainer) Rho(k int) []float64 { return append([]float64(nil), t.rho[k]...) }

// Violation returns a copy of condition k's violation pi(x_t) - u_t [T][m]
// of the last dual update (the one lambda moved along).
func (t *Trainer) Violation(k int) [][]float64 { return cp2(t.g[k]) }

// ConditionStats returns every condition's results of the last iteration.
func (t *Trainer) ConditionStats() []ConditionStat { return append([]ConditionStat(nil), t.stats...) }

func cp2(a [][]float64) [][]float64 {
	out := make([][]float64, len(a))
	for i := range a {
		out[i] = append([]float64(nil), a[i]...)
	}
	return out
}
