package dyna

// The learned model of Dyna: a neural dynamics model (one nn.DynamicsModel
// or an nn.Ensemble of them, predicting the change of observation) and a
// neural reward model, both refitted periodically on the real transitions
// by minibatch regression that continues from the current weights (warm
// start), as in MBPO (Janner et al. 2019).

import (
	"fmt"
	"math/rand/v2"

	"github.com/mbrl/mbrl/control/learned"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
)

// Model is what planning needs from a learned model: the next observation
// and reward of (obs, action k). Sample may use rng (e.g. to pick an
// ensemble member). It is not called concurrently.
type Model interface {
	Sample(next, obs []float64, k int, rng *rand.Rand) (reward float64)
}

// learnedModel is the neural Model with its training machinery: the
// dynamics sampled through the learned.Model every model-based method
// shares, and a reward model.
type learnedModel struct {
	actions *Actions
	members []*nn.DynamicsModel
	ens     *nn.Ensemble   // nil for a single model
	dyn     *learned.Model // over ens or the single member
	reward  *nn.RewardModel
	dynRegs []*nn.Regressor
	rewReg  *nn.Regressor
	batch   int

	// scratch
	act               []float64 // [ModelDim]
	idx               []int     // [batch]
	obsB, actB, nextB []float64 // [batch, ...] gathered transitions
	x, y, ry          []float64
	aIdx              []float64 // [batch] gathered action indices
}

func newLearnedModel(actions *Actions, obsDim int, cfg *Config, rng *rand.Rand) (*learnedModel, error) {
	m := &learnedModel{actions: actions, batch: cfg.ModelBatch}
	ad := actions.ModelDim()
	darch := nn.DynamicsArch{ObsDim: obsDim, ActDim: ad, Hidden: cfg.ModelHidden, Activation: cfg.ModelActivation}
	if cfg.Ensemble > 1 {
		e, err := nn.NewEnsemble("dynamics", nn.EnsembleArch{Members: cfg.Ensemble, Member: darch}, rng)
		if err != nil {
			return nil, fmt.Errorf("dyna: %w", err)
		}
		m.ens = e
		for i := range e.Size() {
			m.members = append(m.members, e.Member(i))
		}
	} else {
		d, err := nn.NewDynamicsModel("dynamics", darch, rng)
		if err != nil {
			return nil, fmt.Errorf("dyna: %w", err)
		}
		m.members = []*nn.DynamicsModel{d}
	}
	r, err := nn.NewRewardModel("reward", nn.RewardArch{ObsDim: obsDim, ActDim: ad, Hidden: cfg.ModelHidden, Activation: cfg.ModelActivation}, rng)
	if err != nil {
		return nil, fmt.Errorf("dyna: %w", err)
	}
	m.reward = r
	if m.dyn, err = learned.New(m.models()[0], nil, nil, false); err != nil {
		return nil, fmt.Errorf("dyna: %w", err)
	}
	rc := nn.RegressorConfig{Batch: cfg.ModelBatch, Adam: nn.Adam{LR: cfg.ModelLR}}
	for _, d := range m.members {
		reg, err := nn.NewRegressor(d, obsDim+ad, obsDim, rc)
		if err != nil {
			m.close()
			return nil, fmt.Errorf("dyna: dynamics regressor: %w", err)
		}
		m.dynRegs = append(m.dynRegs, reg)
	}
	if m.rewReg, err = nn.NewRegressor(r, obsDim+ad, 1, rc); err != nil {
		m.close()
		return nil, fmt.Errorf("dyna: reward regressor: %w", err)
	}
	b := cfg.ModelBatch
	m.act = make([]float64, ad)
	m.idx = make([]int, b)
	m.obsB, m.nextB, m.actB = make([]float64, b*obsDim), make([]float64, b*obsDim), make([]float64, b*ad)
	m.aIdx = make([]float64, b)
	m.x, m.y, m.ry = make([]float64, b*(obsDim+ad)), make([]float64, b*obsDim), make([]float64, b)
	return m, nil
}

func (m *learnedModel) close() {
	for _, r := range m.dynRegs {
		r.Close()
	}
	if m.rewReg != nil {
		m.rewReg.Close()
	}
}

// models returns the dynamics model (or ensemble) and the reward model.
func (m *learnedModel) models() []nn.Model {
	var dyn nn.Model = m.members[0]
	if m.ens != nil {
		dyn = m.ens
	}
	return []nn.Model{dyn, m.reward}
}

// fit refits the normalisers to all real transitions in buf (whose actions
// are action indices) and takes steps minibatch steps on each dynamics
// member (each drawing its own minibatches, a bootstrap-like resampling for
// an ensemble) and on the reward model, continuing from the current
// weights. It returns the mean dynamics loss (MSE of the normalised change
// of observation) and the mean reward loss (MSE) over the steps.
func (m *learnedModel) fit(buf *common.Buffer, steps int, rng *rand.Rand) (dynLoss, rewLoss float64, err error) {
	m.fitNormalisers(buf)
	for i, reg := range m.dynRegs {
		d := m.members[i]
		for range steps {
			m.gather(buf, rng)
			m.dynamicsTargets(d)
			l, err := reg.Step(m.x, m.y)
			if err != nil {
				return 0, 0, fmt.Errorf("dyna: dynamics fit: %w", err)
			}
			dynLoss += l
		}
	}
	for range steps {
		m.gather(buf, rng)
		l, err := m.rewReg.Step(m.x, m.ry)
		if err != nil {
			return 0, 0, fmt.Errorf("dyna: reward fit: %w", err)
		}
		rewLoss += l
	}
	return dynLoss / float64(steps*len(m.dynRegs)), rewLoss / float64(steps), nil
}

// fitNormalisers fits the dynamics and reward input normalisers and the
// dynamics delta normaliser to all of buf, in place.
func (m *learnedModel) fitNormalisers(buf *common.Buffer) {
	n := buf.Len()
	ad := m.actions.ModelDim()
	act := make([]float64, n*ad)
	for i := range n {
		m.actions.ModelInput(act[i*ad:(i+1)*ad], int(buf.Act[i]))
	}
	obs, next := buf.Obs[:n*buf.ObsDim], buf.NextObs[:n*buf.ObsDim]
	for _, d := range m.members {
		d.FitNormalisers(obs, act, next, n)
	}
	m.reward.FitNormaliser(obs, act, n)
}

// gather draws a minibatch from buf into the regression inputs x =
// concat(obs, encoded action), the reward targets ry, and obs/next.
func (m *learnedModel) gather(buf *common.Buffer, rng *rand.Rand) {
	_ = buf.SampleIndices(m.idx, rng) // buf is not empty when fit is called
	buf.Gather(m.idx, m.obsB, m.aIdx, m.ry, m.nextB, nil)
	no, ad := buf.ObsDim, m.actions.ModelDim()
	w := no + ad
	for i := range m.batch {
		copy(m.x[i*w:i*w+no], m.obsB[i*no:(i+1)*no])
		m.actions.ModelInput(m.x[i*w+no:(i+1)*w], int(m.aIdx[i]))
	}
}

// dynamicsTargets writes d's regression targets, the normalised change of
// observation, into y.
func (m *learnedModel) dynamicsTargets(d *nn.DynamicsModel) {
	for i := range m.y {
		m.y[i] = m.nextB[i] - m.obsB[i]
	}
	d.DeltaNormaliser().Apply(m.y, m.y)
}

// Sample predicts (obs, action k) with one dynamics member drawn from rng
// (the only one without an ensemble: then rng is not used) and the reward
// model.
func (m *learnedModel) Sample(next, obs []float64, k int, rng *rand.Rand) float64 {
	m.actions.ModelInput(m.act, k)
	r := m.reward.Predict(obs, m.act)
	m.dyn.SampleNext(next, obs, m.act, rng)
	return r
}
