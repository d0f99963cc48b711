package dyna

import (
	"encoding/json"
	"fmt"

	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
)

// trainerState is everything beyond the checkpointed weights that a
// bit-exact resume needs. Floats are JSON numbers, which Go encodes in the
// shortest form that round-trips exactly; a checkpoint stores every array
// of them (buffers, target weights, moments) as a tensor.
type trainerState struct {
	EnvSteps      int                     `json:"env_steps"`
	Episodes      int                     `json:"episodes"`
	EpSteps       int                     `json:"episode_steps"`
	EpReturn      float64                 `json:"episode_return"`
	Obs           []float64               `json:"obs"`
	EnvState      []float64               `json:"env_state"`
	DynLoss       float64                 `json:"model_loss"`
	RewLoss       float64                 `json:"reward_loss"`
	ModelFitted   bool                    `json:"model_fitted"`
	StepsToTarget int                     `json:"steps_to_target"`
	Done          bool                    `json:"done"`
	QUpdates      int64                   `json:"q_updates"`
	TargetCalls   int64                   `json:"target_calls"`
	PCG           [][]byte                `json:"pcg"`
	QAdam         nn.AdamState            `json:"q_adam"`
	Target        []float64               `json:"q_target"`
	ModelAdam     []nn.AdamState          `json:"model_adam,omitempty"`
	Normalisers   map[string][2][]float64 `json:"normalisers,omitempty"`
	Real          bufferState             `json:"real"`
	Sim           bufferState             `json:"sim"`
}

// bufferState is a ring buffer's slots in slot order and its number of
// Adds so far (which fixes the slot the next Add overwrites).
type bufferState struct {
	Adds int64     `json:"adds"`
	Obs  []float64 `json:"obs"`
	Act  []float64 `json:"act"`
	Next []float64 `json:"next"`
	Rew  []float64 `json:"rew"`
	Term []int8    `json:"term"` // 0 or 1
}

func encodeBuffer(b *common.Buffer, adds int64) bufferState {
	n := b.Len()
	term := make([]int8, n)
	for i, v := range b.Term[:n] {
		if v {
			term[i] = 1
		}
	}
	return bufferState{
		Adds: adds,
		Obs:  b.Obs[:n*b.ObsDim], Act: b.Act[:n*b.ActDim],
		Next: b.NextObs[:n*b.ObsDim], Rew: b.Rew[:n], Term: term,
	}
}

// decodeBuffer rebuilds a ring buffer with the same slots and the same next
// slot to overwrite: Add the slots in order (which fills a fresh buffer
// slot by slot), then, for a full buffer that has wrapped, Add slots
// 0..p-1 again, p = adds mod capacity, leaving them unchanged and the next
// write at slot p, as in the original.
func decodeBuffer(s bufferState, obsDim, actDim, capacity int) (*common.Buffer, error) {
	obs, act, next, rew := s.Obs, s.Act, s.Next, s.Rew
	n := len(rew)
	if len(obs) != n*obsDim || len(next) != n*obsDim || len(act) != n*actDim || len(s.Term) != n || n > capacity || int64(n) > s.Adds || (int64(n) < s.Adds && n != capacity) {
		return nil, fmt.Errorf("dyna: state: inconsistent buffer of %d transitions (%d adds, capacity %d)", n, s.Adds, capacity)
	}
	b := common.NewBuffer(obsDim, actDim, capacity)
	add := func(i int) {
		b.Add(obs[i*obsDim:(i+1)*obsDim], act[i*actDim:(i+1)*actDim], rew[i], next[i*obsDim:(i+1)*obsDim], s.Term[i] != 0)
	}
	for i := range n {
		add(i)
	}
	if n == capacity {
		for i := range int(s.Adds % int64(capacity)) {
			add(i)
		}
	}
	return b, nil
}

// normalisers returns every normaliser the trainer owns by name: the
// models' and the target network's ("q_target.obs").
func (t *Trainer) normalisers() map[string]*nn.Normaliser {
	out := map[string]*nn.Normaliser{}
	for _, m := range t.Models() {
		if o, ok := m.(nn.NormaliserOwner); ok {
			for k, v := range o.Normalisers() {
				out[k] = v
			}
		}
	}
	if nm := t.learn.target.Normaliser(); nm != nil {
		out["q_target.obs"] = nm
	}
	return out
}

// State encodes the trainer's state beyond the weights of Models: counters,
// the current episode, random streams, optimiser moments, the target
// network, normaliser statistics and both replay buffers.
func (t *Trainer) State() (json.RawMessage, error) {
	s := trainerState{
		EnvSteps: t.envSteps, Episodes: t.episodes, EpSteps: t.epSteps, EpReturn: t.epReturn,
		Obs: t.obs, EnvState: t.env.State(),
		DynLoss: t.dynLoss, RewLoss: t.rewLoss, ModelFitted: t.modelFitted,
		StepsToTarget: t.stepsToTarget, Done: t.done, QUpdates: t.learn.updates, TargetCalls: t.learn.targetCalls,
		QAdam: t.learn.adam.State(),
		Real:  encodeBuffer(t.real, t.realAdds), Sim: encodeBuffer(t.sim, t.simAdds),
	}
	for _, p := range t.pcgs {
		b, err := p.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("dyna: state: %w", err)
		}
		s.PCG = append(s.PCG, b)
	}
	var tw []float64
	for _, p := range t.learn.targetParams {
		tw = append(tw, p...)
	}
	s.Target = tw
	if t.lm != nil {
		for _, r := range t.lm.dynRegs {
			s.ModelAdam = append(s.ModelAdam, r.Optimizer().State())
		}
		s.ModelAdam = append(s.ModelAdam, t.lm.rewReg.Optimizer().State())
	}
	s.Normalisers = map[string][2][]float64{}
	for k, nm := range t.normalisers() {
		s.Normalisers[k] = [2][]float64{nm.Mean, nm.Std}
	}
	return json.Marshal(s)
}

// Restore sets the state from State's output (after the weights of Models
// have been loaded, as common.Resume does). The real environment is put
// back into the saved state of the current episode.
func (t *Trainer) Restore(raw json.RawMessage) error {
	var s trainerState
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("dyna: state: %w", err)
	}
	if len(s.PCG) != len(t.pcgs) {
		return fmt.Errorf("dyna: state has %d random streams, want %d", len(s.PCG), len(t.pcgs))
	}
	if len(s.Obs) != t.obsDim {
		return fmt.Errorf("dyna: state observation has %d values, want %d", len(s.Obs), t.obsDim)
	}
	real, err := decodeBuffer(s.Real, t.obsDim, 1, t.cfg.BufferSize)
	if err != nil {
		return err
	}
	sim, err := decodeBuffer(s.Sim, t.obsDim, 1, t.cfg.ModelBufferSize)
	if err != nil {
		return err
	}
	tw := s.Target
	total := 0
	for _, p := range t.learn.targetParams {
		total += len(p)
	}
	if len(tw) != total {
		return fmt.Errorf("dyna: state target network has %d weights, want %d", len(tw), total)
	}
	norms := t.normalisers()
	if len(s.Normalisers) != len(norms) {
		return fmt.Errorf("dyna: state has %d normalisers, want %d", len(s.Normalisers), len(norms))
	}
	decodedNorms := map[string][2][]float64{}
	for k, nm := range norms {
		v, ok := s.Normalisers[k]
		if !ok {
			return fmt.Errorf("dyna: state lacks normaliser %s", k)
		}
		mean, std := v[0], v[1]
		if len(mean) != nm.Dim() || len(std) != nm.Dim() {
			return fmt.Errorf("dyna: state normaliser %s has width %d, want %d", k, len(mean), nm.Dim())
		}
		decodedNorms[k] = [2][]float64{mean, std}
	}
	var nModelAdam int
	if t.lm != nil {
		nModelAdam = len(t.lm.dynRegs) + 1
	}
	if len(s.ModelAdam) != nModelAdam {
		return fmt.Errorf("dyna: state has %d model optimisers, want %d", len(s.ModelAdam), nModelAdam)
	}
	obs, err := t.env.SetState(s.EnvState)
	if err != nil {
		return fmt.Errorf("dyna: state: %w", err)
	}
	_ = obs // the saved observation is used: it is what the agent saw

	// Everything is validated; now write (optimiser states validate
	// themselves; a failure there leaves the trainer to be discarded).
	if err := t.learn.adam.SetState(s.QAdam); err != nil {
		return fmt.Errorf("dyna: state: %w", err)
	}
	if t.lm != nil {
		for i, r := range t.lm.dynRegs {
			if err := r.Optimizer().SetState(s.ModelAdam[i]); err != nil {
				return fmt.Errorf("dyna: state: %w", err)
			}
		}
		if err := t.lm.rewReg.Optimizer().SetState(s.ModelAdam[len(t.lm.dynRegs)]); err != nil {
			return fmt.Errorf("dyna: state: %w", err)
		}
	}
	for i, b := range s.PCG {
		if err := t.pcgs[i].UnmarshalBinary(b); err != nil {
			return fmt.Errorf("dyna: state: random stream %d: %w", i, err)
		}
	}
	off := 0
	for _, p := range t.learn.targetParams {
		off += copy(p, tw[off:])
	}
	for k, nm := range norms {
		copy(nm.Mean, decodedNorms[k][0]) // in place: graphs alias the slices
		copy(nm.Std, decodedNorms[k][1])
	}
	t.real, t.sim = real, sim
	t.realAdds, t.simAdds = s.Real.Adds, s.Sim.Adds
	t.envSteps, t.episodes, t.epSteps, t.epReturn = s.EnvSteps, s.Episodes, s.EpSteps, s.EpReturn
	t.obs = append([]float64(nil), s.Obs...)
	t.dynLoss, t.rewLoss, t.modelFitted = s.DynLoss, s.RewLoss, s.ModelFitted
	t.stepsToTarget, t.done = s.StepsToTarget, s.Done
	t.learn.updates, t.learn.targetCalls = s.QUpdates, s.TargetCalls
	return nil
}
