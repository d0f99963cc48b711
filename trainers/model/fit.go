package model

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/parallel"
)

// FitConfig configures a Fitter; DefaultFitConfig gives the defaults.
type FitConfig struct {
	// Hidden are the MLP's hidden layer sizes (default 64, 64).
	Hidden []int
	// Activation is the hidden nonlinearity (default tanh).
	Activation nn.Activation
	// Ensemble is the number of members E (default 1): E = 1 fits one
	// nn.DynamicsModel, E >= 2 an nn.Ensemble whose members start from
	// their own initialisation and train on their own bootstrap resample
	// of the data (Chua et al. 2018).
	Ensemble int
	// Batch is the minibatch size (default 256).
	Batch int
	// LR is Adam's learning rate (default 1e-3).
	LR float64
}

// DefaultFitConfig returns the default FitConfig: one model with hidden
// layers [64, 64] of tanh, minibatches of 256, Adam with LR 1e-3.
func DefaultFitConfig() FitConfig {
	return FitConfig{Hidden: []int{64, 64}, Activation: nn.Tanh, Ensemble: 1, Batch: 256, LR: 1e-3}
}

// Validate returns a *config.Error naming the first invalid field.
func (c FitConfig) Validate() error {
	v := config.Checker{Pkg: "model"}
	c.check(&v)
	return v.Err()
}

func (c FitConfig) check(v *config.Checker) {
	v.Check(len(c.Hidden) > 0, "Hidden", "needs at least one layer size")
	v.Sizes("Hidden", c.Hidden)
	v.Check(c.Activation.Valid() == nil, "Activation", "must be tanh, relu or identity, got %q", c.Activation)
	v.AtLeast("Ensemble", c.Ensemble, 1)
	v.AtLeast("Batch", c.Batch, 1)
	v.Positive("LR", c.LR)
}

// Fitter fits a dynamics model (one nn.DynamicsModel, or an nn.Ensemble
// trained member by member) by minibatch Adam on the normalised-delta
// regression of nn.DynamicsModel.TrainingData, with one nn.Regressor (one
// Gorgonia graph, built once) and one minibatch stream per member.
// SetData installs a data set (refitting the normalisers and drawing the
// bootstrap resamples); Epochs trains on it, continuing from the current
// weights and Adam moments (a warm start when the data grow). Members
// train in parallel; results do not depend on the number of cores.
type Fitter struct {
	cfg     FitConfig
	model   nn.Model
	members []*nn.DynamicsModel
	regs    []*nn.Regressor
	pcgs    []*rand.PCG
	rngs    []*rand.Rand
	in, out int

	x, y   []float64 // training inputs [n, in] and normalised targets [n, out]
	n      int
	rows   [][]int // per member: its (bootstrap) rows of x, y
	order  [][]int // per member: this epoch's shuffled copy of rows
	xb, yb [][]float64
}

// NewFitter returns a fitter of a fresh model called name (tensors
// "<name>.l0.weight", or "<name>.m<i>.l0.weight" for an ensemble) for
// obsDim observations and actDim actions. The weights are drawn from
// initRng; member i's minibatches and bootstrap resamples come from the
// stream rand.NewPCG(seed, 100+i).
func NewFitter(name string, obsDim, actDim int, cfg FitConfig, initRng *rand.Rand, seed uint64) (*Fitter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	arch := nn.DynamicsArch{ObsDim: obsDim, ActDim: actDim, Hidden: cfg.Hidden, Activation: cfg.Activation}
	f := &Fitter{cfg: cfg, in: obsDim + actDim, out: obsDim}
	if cfg.Ensemble <= 1 {
		d, err := nn.NewDynamicsModel(name, arch, initRng)
		if err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		f.model, f.members = d, []*nn.DynamicsModel{d}
	} else {
		e, err := nn.NewEnsemble(name, nn.EnsembleArch{Members: cfg.Ensemble, Member: arch}, initRng)
		if err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		f.model = e
		for i := range e.Size() {
			f.members = append(f.members, e.Member(i))
		}
	}
	for i, d := range f.members {
		r, err := nn.NewRegressor(d, f.in, f.out, nn.RegressorConfig{Batch: cfg.Batch, Adam: nn.Adam{LR: cfg.LR}})
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("model: member %d: %w", i, err)
		}
		f.regs = append(f.regs, r)
		pcg := rand.NewPCG(seed, 100+uint64(i))
		f.pcgs = append(f.pcgs, pcg)
		f.rngs = append(f.rngs, rand.New(pcg))
		f.xb = append(f.xb, make([]float64, cfg.Batch*f.in))
		f.yb = append(f.yb, make([]float64, cfg.Batch*f.out))
	}
	return f, nil
}

// Close releases the regressors' machines.
func (f *Fitter) Close() {
	for _, r := range f.regs {
		r.Close()
	}
}

// Model returns the fitted model: an *nn.DynamicsModel or an *nn.Ensemble.
func (f *Fitter) Model() nn.Model { return f.model }

// Members returns the ensemble's members (one for a single model).
func (f *Fitter) Members() []*nn.DynamicsModel { return f.members }

// Config returns the effective configuration.
func (f *Fitter) Config() FitConfig { return f.cfg }

// SetData makes obs, act, next [n, ·] the training data: every member's
// normalisers are refitted to them (in place, so the training graphs see
// the new statistics), the regression targets are rebuilt, and each ensemble member draws a
// bootstrap resample of size n from its stream (a single model uses all
// rows).
func (f *Fitter) SetData(obs, act, next []float64, n int) error {
	if n <= 0 || len(obs) != n*f.out || len(act) != n*(f.in-f.out) || len(next) != n*f.out {
		return fmt.Errorf("model: fit data: n=%d with len(obs)=%d len(act)=%d len(next)=%d", n, len(obs), len(act), len(next))
	}
	for _, d := range f.members {
		d.FitNormalisers(obs, act, next, n)
	}
	f.x, f.y = f.members[0].TrainingData(obs, act, next, n)
	f.n = n
	f.rows = make([][]int, len(f.members))
	f.order = make([][]int, len(f.members))
	for i := range f.members {
		rows := make([]int, n)
		for j := range rows {
			rows[j] = j
		}
		if len(f.members) > 1 {
			for j := range rows {
				rows[j] = f.rngs[i].IntN(n)
			}
		}
		f.rows[i] = rows
		f.order[i] = make([]int, n)
	}
	return nil
}

// Epochs trains every member for k epochs over its rows: each epoch
// shuffles the rows and takes ceil(rows/B) Adam steps of exactly B rows
// (the last batch wraps around to the epoch's first rows). Each epoch's
// order is a fresh shuffle of the rows drawn from the member's stream. It returns the
// mean minibatch loss of the last epoch, averaged over the members. It
// stops early with ctx's error when ctx is cancelled.
func (f *Fitter) Epochs(ctx context.Context, k int) (float64, error) {
	if f.n == 0 {
		return 0, fmt.Errorf("model: fit before SetData")
	}
	losses := make([]float64, len(f.members))
	err := parallel.For(ctx, len(f.members), 0, func(i int) error {
		var err error
		if losses[i], err = f.memberEpochs(ctx, i, k); err != nil {
			return fmt.Errorf("model: member %d: %w", i, err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	var mean float64
	for _, l := range losses {
		mean += l
	}
	return mean / float64(len(f.members)), nil
}

func (f *Fitter) memberEpochs(ctx context.Context, i, k int) (float64, error) {
	r, rng, rows := f.regs[i], f.rngs[i], f.order[i]
	xb, yb := f.xb[i], f.yb[i]
	B, nr := f.cfg.Batch, len(rows)
	steps := (nr + B - 1) / B
	var last float64
	for ep := range k {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		// Shuffle a fresh copy, so that the order depends only on the
		// stream's state (a resumed run shuffles the same way).
		copy(rows, f.rows[i])
		rng.Shuffle(nr, func(a, b int) { rows[a], rows[b] = rows[b], rows[a] })
		var sum float64
		for s := range steps {
			for b := range B {
				j := rows[(s*B+b)%nr]
				copy(xb[b*f.in:(b+1)*f.in], f.x[j*f.in:(j+1)*f.in])
				copy(yb[b*f.out:(b+1)*f.out], f.y[j*f.out:(j+1)*f.out])
			}
			loss, err := r.Step(xb, yb)
			if err != nil {
				return 0, fmt.Errorf("epoch %d step %d: %w", ep, s, err)
			}
			sum += loss
		}
		last = sum / float64(steps)
	}
	return last, nil
}

// Step runs one Adam step of member 0 on a minibatch of the first B of
// its rows (wrapping around when it has fewer) and returns the minibatch
// loss: the unit of work that BenchmarkFitStep times.
func (f *Fitter) Step() (float64, error) {
	if f.n == 0 {
		return 0, fmt.Errorf("model: fit before SetData")
	}
	rows, xb, yb := f.rows[0], f.xb[0], f.yb[0]
	for b := range f.cfg.Batch {
		j := rows[b%len(rows)]
		copy(xb[b*f.in:(b+1)*f.in], f.x[j*f.in:(j+1)*f.in])
		copy(yb[b*f.out:(b+1)*f.out], f.y[j*f.out:(j+1)*f.out])
	}
	return f.regs[0].Step(xb, yb)
}

// FitterState is the serialisable non-weight state of a Fitter: the
// members' Adam states and minibatch streams.
type FitterState struct {
	Adam []nn.AdamState `json:"adam"`
	PCG  [][]byte       `json:"pcg"`
}

// State returns the fitter's non-weight state.
func (f *Fitter) State() (FitterState, error) {
	var s FitterState
	for i, r := range f.regs {
		s.Adam = append(s.Adam, r.Optimizer().State())
		b, err := f.pcgs[i].MarshalBinary()
		if err != nil {
			return s, fmt.Errorf("model: %w", err)
		}
		s.PCG = append(s.PCG, b)
	}
	return s, nil
}

// SetState restores a state from State (of a fitter with the same
// configuration).
func (f *Fitter) SetState(s FitterState) error {
	if len(s.Adam) != len(f.regs) || len(s.PCG) != len(f.regs) {
		return fmt.Errorf("model: fitter state has %d optimisers and %d streams for %d members", len(s.Adam), len(s.PCG), len(f.regs))
	}
	for i, r := range f.regs {
		if err := r.Optimizer().SetState(s.Adam[i]); err != nil {
			return fmt.Errorf("model: member %d: %w", i, err)
		}
	}
	for i, b := range s.PCG {
		if err := f.pcgs[i].UnmarshalBinary(b); err != nil {
			return fmt.Errorf("model: member %d stream: %w", i, err)
		}
	}
	return nil
}
