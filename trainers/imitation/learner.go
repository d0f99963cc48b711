package imitation

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/nn"
)

// FitConfig configures a Learner's supervised regression;
// DefaultFitConfig gives the defaults.
type FitConfig struct {
	// Epochs bounds the epochs of each retraining (default 50).
	Epochs int
	// Patience stops a retraining early after this many epochs without a
	// better held-out loss (default 5); the best epoch's weights are kept.
	Patience int
	// ValFrac is the held-out fraction of the dataset, drawn afresh at
	// every retraining, in [0, 1) (default 0.1; 0: no split, no early
	// stop).
	ValFrac float64
	// Batch is the minibatch size (default 256).
	Batch int
	// LR is Adam's learning rate (default 1e-3).
	LR float64
}

// DefaultFitConfig returns the default FitConfig: at most 50 epochs with
// patience 5 on a 10% held-out split, minibatches of 256, Adam with LR
// 1e-3.
func DefaultFitConfig() FitConfig {
	return FitConfig{Epochs: 50, Patience: 5, ValFrac: 0.1, Batch: 256, LR: 1e-3}
}

// Validate returns a *config.Error naming the first invalid field.
func (c FitConfig) Validate() error {
	v := config.Checker{Pkg: "imitation"}
	v.AtLeast("Epochs", c.Epochs, 1)
	v.AtLeast("Patience", c.Patience, 1)
	v.Check(c.ValFrac >= 0 && c.ValFrac < 1, "ValFrac", "must be in [0, 1), got %v", c.ValFrac)
	v.AtLeast("Batch", c.Batch, 1)
	v.Positive("LR", c.LR)
	return v.Err()
}

// Learner fits a policy network to a Dataset by mean-squared regression of
// the labels on the observations (nn.Regressor: Adam, held-out split, early
// stopping), warm-starting from the current weights at every retraining.
// The observation normaliser (if any) is fitted to the first dataset it is
// trained on and then kept fixed.
type Learner struct {
	model      nn.GraphModel
	norm       *nn.Normaliser
	reg        *nn.Regressor
	cfg        FitConfig
	pcg        *rand.PCG
	rng        *rand.Rand
	normFitted bool
	obsDim     int
	actDim     int
}

// NewLearner builds the training graph for model (a policy mapping
// [B, obsDim] to [B, actDim], e.g. *nn.DeterministicPolicy or the mean of
// *nn.GaussianPolicy) with norm its observation normaliser (nil for none).
// Minibatches and held-out splits are drawn from pcg.
func NewLearner(model nn.GraphModel, norm *nn.Normaliser, obsDim, actDim int, cfg FitConfig, pcg *rand.PCG) (*Learner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	reg, err := nn.NewRegressor(model, obsDim, actDim, nn.RegressorConfig{Batch: cfg.Batch, Adam: nn.Adam{LR: cfg.LR}})
	if err != nil {
		return nil, fmt.Errorf("imitation: learner: %w", err)
	}
	return &Learner{model: model, norm: norm, reg: reg, cfg: cfg, pcg: pcg, rng: rand.New(pcg), obsDim: obsDim, actDim: actDim}, nil
}

// Config returns the effective fit settings.
func (l *Learner) Config() FitConfig { return l.cfg }

// Fit retrains on the first n rows of d (n <= d.Len(); n <= 0 means all).
func (l *Learner) Fit(d *Dataset, n int) (nn.FitResult, error) {
	if n <= 0 || n > d.Len() {
		n = d.Len()
	}
	if n < 2 {
		return nn.FitResult{}, fmt.Errorf("imitation: learner: %d labelled observations are too few to fit (collect more episodes)", n)
	}
	if d.ObsDim != l.obsDim || d.ActDim != l.actDim {
		return nn.FitResult{}, fmt.Errorf("imitation: learner: dataset dims %d, %d; the policy needs %d, %d", d.ObsDim, d.ActDim, l.obsDim, l.actDim)
	}
	if l.norm != nil && !l.normFitted {
		l.norm.Fit(d.Obs[:n*d.ObsDim], n, d.ObsDim)
		l.normFitted = true
	}
	res, err := l.reg.Fit(d.Obs[:n*d.ObsDim], d.Label[:n*d.ActDim], n, l.cfg.Epochs, l.rng, l.cfg.ValFrac, l.cfg.Patience)
	if err != nil {
		return res, fmt.Errorf("imitation: learner: %w", err)
	}
	return res, nil
}

// MeanSquaredResidual writes, for each action dimension j, the mean over
// the first n rows of d of (prediction_j - label_j)^2 into dst [ActDim]:
// the maximum-likelihood variance of a state-independent Gaussian around
// the fitted mean.
func (l *Learner) MeanSquaredResidual(dst []float64, d *Dataset, n int) error {
	if n <= 0 || n > d.Len() {
		n = d.Len()
	}
	if n == 0 {
		return errors.New("imitation: learner: residual of an empty dataset")
	}
	pred := make([]float64, n*d.ActDim)
	if err := l.reg.Predict(pred, d.Obs[:n*d.ObsDim], n); err != nil {
		return fmt.Errorf("imitation: learner: %w", err)
	}
	clear(dst)
	for i, p := range pred {
		r := p - d.Label[i]
		dst[i%d.ActDim] += r * r
	}
	for j := range dst {
		dst[j] /= float64(n)
	}
	return nil
}

// Close releases the training graph.
func (l *Learner) Close() { l.reg.Close() }

// LearnerState is what a bit-exact resume of a Learner needs beyond the
// weights: Adam's moments, the random stream and the normaliser.
type LearnerState struct {
	Adam       nn.AdamState `json:"adam"`
	PCG        []byte       `json:"pcg"`
	NormFitted bool         `json:"norm_fitted"`
	NormMean   []float64    `json:"norm_mean,omitempty"`
	NormStd    []float64    `json:"norm_std,omitempty"`
}

// State returns the learner's non-weight state.
func (l *Learner) State() (LearnerState, error) {
	b, err := l.pcg.MarshalBinary()
	if err != nil {
		return LearnerState{}, err
	}
	s := LearnerState{Adam: l.reg.Optimizer().State(), PCG: b, NormFitted: l.normFitted}
	if l.norm != nil {
		s.NormMean, s.NormStd = slices.Clone(l.norm.Mean), slices.Clone(l.norm.Std)
	}
	return s, nil
}

// Restore sets the state returned by State (the normaliser in place, so
// bound graphs see it).
func (l *Learner) Restore(s LearnerState) error {
	if err := l.pcg.UnmarshalBinary(s.PCG); err != nil {
		return fmt.Errorf("imitation: learner rng: %w", err)
	}
	if err := l.reg.Optimizer().SetState(s.Adam); err != nil {
		return fmt.Errorf("imitation: learner optimiser: %w", err)
	}
	l.normFitted = s.NormFitted
	if l.norm != nil && s.NormMean != nil {
		mean, std := s.NormMean, s.NormStd
		if len(mean) != len(l.norm.Mean) || len(std) != len(l.norm.Std) {
			return fmt.Errorf("imitation: learner normaliser does not match the policy's %d observations", len(l.norm.Mean))
		}
		copy(l.norm.Mean, mean)
		copy(l.norm.Std, std)
	}
	return nil
}
