package lggps

import (
	"encoding/json"
	"fmt"

	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/gps"
)

// state is the trainer's non-weight state for a bit-exact resume: the
// controllers, the dual variables, the step-size rule's memory, the
// optimiser's moments and the minibatch stream. The samples are not
// stored: every iteration draws new ones from streams of (Seed, iter).
type state struct {
	K      [][]float64 `json:"k"`      // [K][T*m*n]
	Offset [][]float64 `json:"offset"` // [K][T*m]
	Cov    [][]float64 `json:"cov"`    // [K][T*m*m]
	gps.Duals
	Eta       []float64    `json:"eta"`
	Mult      []float64    `json:"step_mult"`
	PrevObj   []float64    `json:"prev_obj"`
	PredObj   []float64    `json:"pred_obj"`
	PrevMC    []float64    `json:"prev_sample_cost"`
	HasPred   []bool       `json:"has_pred"`
	PolVar    []float64    `json:"policy_variance"`
	EnvSteps  int          `json:"env_steps"`
	InitSteps int          `json:"init_env_steps,omitempty"`
	Adam      nn.AdamState `json:"adam"`
	RNG       []byte       `json:"rng"`
}

// State encodes the trainer's state.
func (t *Trainer) State() (json.RawMessage, error) {
	rng, err := t.pcg.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("lggps: %w", err)
	}
	st := state{Eta: t.eta, Mult: t.mult, PrevObj: t.prevObj, PredObj: t.predObj, PrevMC: t.prevMC, HasPred: t.hasPred,
		PolVar: t.polVar, EnvSteps: t.envSteps, InitSteps: t.initSteps, Adam: t.reg.Optimizer().State(), RNG: rng}
	for k := range t.K {
		c := t.ctrl[k]
		var cov []float64
		for s := range t.T {
			cov = append(cov, c.Cov(s)...)
		}
		st.K = append(st.K, gps.Flat(c.K))
		st.Offset = append(st.Offset, gps.Flat(c.Offset))
		st.Cov = append(st.Cov, cov)
		st.Add(t.lambda[k], t.rho[k], t.prevViol[k])
	}
	return json.Marshal(st)
}

// Restore sets the state saved by State of a trainer with the same
// configuration.
func (t *Trainer) Restore(raw json.RawMessage) error {
	var st state
	if err := json.Unmarshal(raw, &st); err != nil {
		return fmt.Errorf("lggps: trainer state: %w", err)
	}
	K, T, n, m := t.K, t.T, t.n, t.m
	if len(st.K) != K || len(st.Offset) != K || len(st.Cov) != K || len(st.Lambda) != K || len(st.Rho) != K ||
		len(st.Eta) != K || len(st.Mult) != K || len(st.PrevObj) != K || len(st.PredObj) != K || len(st.PrevMC) != K || len(st.HasPred) != K ||
		len(st.PrevViol) != K || len(st.PolVar) != m {
		return fmt.Errorf("lggps: trainer state does not have %d conditions with %d actions (same --conditions needed)", K, m)
	}
	for k := range K {
		if len(st.K[k]) != T*m*n || len(st.Offset[k]) != T*m || len(st.Cov[k]) != T*m*m || len(st.Lambda[k]) != T*m || len(st.Rho[k]) != T {
			return fmt.Errorf("lggps: trainer state of condition %d does not fit horizon %d with %d states and %d actions", k, T, n, m)
		}
	}
	if err := t.reg.Optimizer().SetState(st.Adam); err != nil {
		return fmt.Errorf("lggps: trainer state: %w", err)
	}
	if err := t.pcg.UnmarshalBinary(st.RNG); err != nil {
		return fmt.Errorf("lggps: trainer state: %w", err)
	}
	for k := range K {
		c := t.ctrl[k]
		gps.Unflat(c.K, st.K[k])
		gps.Unflat(c.Offset, st.Offset[k])
		for s := range T {
			if err := c.SetCov(s, st.Cov[k][s*m*m:(s+1)*m*m]); err != nil {
				return fmt.Errorf("lggps: trainer state of condition %d: %w", k, err)
			}
		}
		st.Set(k, t.lambda[k], t.rho[k], &t.prevViol[k])
	}
	copy(t.eta, st.Eta)
	copy(t.mult, st.Mult)
	copy(t.prevObj, st.PrevObj)
	copy(t.predObj, st.PredObj)
	copy(t.prevMC, st.PrevMC)
	copy(t.hasPred, st.HasPred)
	copy(t.polVar, st.PolVar)
	t.envSteps, t.initSteps = st.EnvSteps, st.InitSteps
	t.needInit = false // the controllers carry the initialisation
	return nil
}

// Controller returns a copy of condition k's controller gains [T][m*n],
// offsets [T][m] and covariances [T][m*m].
func (t *Trainer) Controller(k int) (K, offset, cov [][]float64) {
	c := t.ctrl[k]
	for s := range t.T {
		K = append(K, append([]float64(nil), c.K[s]...))
		offset = append(offset, append([]float64(nil), c.Offset[s]...))
		cov = append(cov, append([]float64(nil), c.Cov(s)...))
	}
	return K, offset, cov
}

// Dynamics returns condition k's dynamics fitted in the last iteration.
func (t *Trainer) Dynamics(k int) *LinearDynamics { return t.dyn[k] }

// Conditions returns copies of the initial states x_0.
func (t *Trainer) Conditions() [][]float64 {
	out := make([][]float64, len(t.x0))
	for i, x := range t.x0 {
		out[i] = append([]float64(nil), x...)
	}
	return out
}
