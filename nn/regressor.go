package nn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mbrl/mbrl/autodiff"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ErrNonFinite is wrapped by Regressor methods when the loss or a gradient
// is NaN or infinite; the weights are left as they were before that step.
var ErrNonFinite = errors.New("non-finite loss or gradient")

// GraphModel is a model a Regressor can train: Build creates the model's
// nodes in g (once) and maps x [B, in] to out [B, out]. learn are the
// weight nodes to optimise; each must carry the Name of one of Params()
// (as Param-bound nodes do) so the trainer can update that Param.
type GraphModel interface {
	Params() []*Param
	Build(g *G.ExprGraph, x *G.Node) (out *G.Node, learn G.Nodes, err error)
}

// RegressorConfig configures a Regressor; zero fields mean the defaults.
type RegressorConfig struct {
	// Batch is the minibatch size B of the training graph (default 256).
	Batch int
	// Adam configures the optimiser (zero value: Adam defaults).
	Adam Adam
	// Weighted adds a per-sample weight input [B]; the loss becomes
	// sum_i w_i sum_j (out_ij - y_ij)² / (B·out).
	Weighted bool
	// MaxGradNorm clips the global gradient norm when positive.
	MaxGradNorm float64
	// Shards > 1 splits each minibatch into this many blocks of rows, each
	// with its own graph, run on two goroutines (the second one a spinning
	// helper, autodiff.Helper): the loss is the sum over the blocks of
	// their squared errors divided by B·out, and the gradient the sum of
	// the blocks' in block order, so results depend on Shards but not on
	// the number of cores. 0 or 1: one graph for the whole minibatch (its
	// large ops split between two cores instead, bit for bit).
	Shards int
}

// Regressor trains a GraphModel by minimising the mean squared error
// mean_ij (out_ij - y_ij)² over minibatches of exactly B rows with Adam.
// It builds one graph with inputs x [B, in], y [B, out] (and w [B] when
// weighted) at construction and reuses it for every step: one
// autodiff.Program for forward+backward and one forward-only Program (the
// prediction's ancestors in the same graph) for prediction and
// validation. A Regressor is not safe for concurrent use.
type Regressor struct {
	model        GraphModel
	in, out, bs  int
	weighted     bool
	maxGradNorm  float64
	g            *G.ExprGraph
	full, fwd    *autodiff.Program
	xBuf, yBuf   []float64
	wBuf         []float64
	loss         *G.Node
	predData     []float64 // [B, out], the forward Program's buffer
	gradNodes    G.Nodes
	grads        [][]float64
	adam         *Adam
	learnedNames []string
	shards       []*regShard // with Shards > 1: the training graphs
	helper       *autodiff.Helper
	shardRun     func(lo, hi int) // runs shards [lo, hi)
	shardErrs    []error
}

// regShard is the training graph of one block of rows of the minibatch.
type regShard struct {
	x, y, w []float64 // its inputs: its rows of the minibatch buffers
	prog    *autodiff.Program
	loss    *G.Node
	grads   G.Nodes
}

// NewRegressor builds the training graph for model with input width in
// and output width out.
func NewRegressor(model GraphModel, in, out int, cfg RegressorConfig) (*Regressor, error) {
	bs := cfg.Batch
	if bs == 0 {
		bs = 256
	}
	if bs < 0 || in <= 0 || out <= 0 {
		return nil, fmt.Errorf("nn: regressor: invalid batch %d, in %d or out %d", bs, in, out)
	}
	r := &Regressor{model: model, in: in, out: out, bs: bs, weighted: cfg.Weighted, maxGradNorm: cfg.MaxGradNorm}
	g := G.NewGraph()
	r.g = g
	r.xBuf = make([]float64, bs*in)
	r.yBuf = make([]float64, bs*out)
	x := G.NewMatrix(g, G.Float64, G.WithShape(bs, in), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(bs, in), tensor.WithBacking(r.xBuf))))
	y := G.NewMatrix(g, G.Float64, G.WithShape(bs, out), G.WithName("y"),
		G.WithValue(tensor.New(tensor.WithShape(bs, out), tensor.WithBacking(r.yBuf))))
	pred, learn, err := model.Build(g, x)
	if err != nil {
		return nil, fmt.Errorf("nn: regressor: building model: %w", err)
	}
	if s := pred.Shape(); len(s) != 2 || s[0] != bs || s[1] != out {
		return nil, fmt.Errorf("nn: regressor: model output shape %v, want [%d %d]", s, bs, out)
	}
	diff, err := G.Sub(pred, y)
	if err != nil {
		return nil, fmt.Errorf("nn: regressor: %w", err)
	}
	sq, err := G.Square(diff)
	if err != nil {
		return nil, fmt.Errorf("nn: regressor: %w", err)
	}
	if cfg.Weighted {
		r.wBuf = make([]float64, bs)
		for i := range r.wBuf {
			r.wBuf[i] = 1
		}
		w := G.NewVector(g, G.Float64, G.WithShape(bs), G.WithName("w"),
			G.WithValue(tensor.New(tensor.WithShape(bs), tensor.WithBacking(r.wBuf))))
		rows, err := G.Sum(sq, 1)
		if err == nil {
			rows, err = G.HadamardProd(rows, w)
		}
		if err == nil {
			rows, err = G.Sum(rows)
		}
		if err == nil {
			r.loss, err = G.Mul(rows, G.NewConstant(1/float64(bs*out)))
		}
		if err != nil {
			return nil, fmt.Errorf("nn: regressor: weighted loss: %w", err)
		}
	} else if r.loss, err = G.Mean(sq); err != nil {
		return nil, fmt.Errorf("nn: regressor: %w", err)
	}

	// Match learnable nodes to parameters by name.
	byName := make(map[string]*Param)
	for _, p := range model.Params() {
		byName[p.Name] = p
	}
	var params []*Param
	for _, n := range learn {
		p, ok := byName[n.Name()]
		if !ok {
			return nil, fmt.Errorf("nn: regressor: learnable node %q is not a parameter of the model", n.Name())
		}
		if !n.Shape().Eq(p.Value.Shape()) {
			return nil, fmt.Errorf("nn: regressor: learnable node %q has shape %v, parameter has %v", n.Name(), n.Shape(), p.Value.Shape())
		}
		params = append(params, p)
		r.grads = append(r.grads, make([]float64, len(p.Data())))
		r.learnedNames = append(r.learnedNames, p.Name)
	}
	if r.gradNodes, err = G.Grad(r.loss, learn...); err != nil {
		return nil, fmt.Errorf("nn: regressor: gradient: %w", err)
	}
	r.adam = NewAdam(cfg.Adam, params)

	if r.fwd, err = autodiff.Compile(pred); err != nil {
		return nil, fmt.Errorf("nn: regressor: %w", err)
	}
	r.predData = r.fwd.Data(pred)
	r.fwd.Parallel()
	if cfg.Shards > 1 {
		if cfg.Shards > bs {
			return nil, fmt.Errorf("nn: regressor: %d shards of a batch of %d would leave some empty", cfg.Shards, bs)
		}
		if err := r.buildShards(cfg.Shards, learn); err != nil {
			return nil, err
		}
		return r, nil
	}
	if r.full, err = autodiff.Compile(append(G.Nodes{r.loss}, r.gradNodes...)...); err != nil {
		return nil, fmt.Errorf("nn: regressor: %w", err)
	}
	// Large ops run in two halves on two cores (bit for bit; nothing
	// splits at small batches).
	r.full.Parallel()
	return r, nil
}

// buildShards builds one training graph per block of rows.
func (r *Regressor) buildShards(n int, learn G.Nodes) error {
	from := 0
	for s := range n {
		rows := r.bs / n
		if s < r.bs%n {
			rows++
		}
		// The shard's inputs are its rows of the minibatch buffers, read in
		// place.
		lo, hi := from, from+rows
		from = hi
		sh := &regShard{x: r.xBuf[lo*r.in : hi*r.in : hi*r.in], y: r.yBuf[lo*r.out : hi*r.out : hi*r.out]}
		g := G.NewGraph()
		x := G.NewMatrix(g, G.Float64, G.WithShape(rows, r.in), G.WithName("x"),
			G.WithValue(tensor.New(tensor.WithShape(rows, r.in), tensor.WithBacking(sh.x))))
		y := G.NewMatrix(g, G.Float64, G.WithShape(rows, r.out), G.WithName("y"),
			G.WithValue(tensor.New(tensor.WithShape(rows, r.out), tensor.WithBacking(sh.y))))
		pred, sl, err := r.model.Build(g, x)
		if err != nil {
			return fmt.Errorf("nn: regressor: building model: %w", err)
		}
		if len(sl) != len(learn) {
			return fmt.Errorf("nn: regressor: shard %d has %d weight nodes, the model %d", s, len(sl), len(learn))
		}
		for i, l := range sl {
			if l.Name() != learn[i].Name() {
				return fmt.Errorf("nn: regressor: shard %d's weight node %d is %q, the model's %q", s, i, l.Name(), learn[i].Name())
			}
		}
		d, err := G.Sub(pred, y)
		if err == nil {
			d, err = G.Square(d)
		}
		if err == nil {
			// Σ_i w_i Σ_j (out_ij - y_ij)², then / (B·out): the shards'
			// losses add up to the minibatch's.
			d, err = G.Sum(d, 1)
		}
		if err == nil && r.weighted {
			sh.w = r.wBuf[lo:hi:hi]
			w := G.NewVector(g, G.Float64, G.WithShape(rows), G.WithName("w"),
				G.WithValue(tensor.New(tensor.WithShape(rows), tensor.WithBacking(sh.w))))
			d, err = G.HadamardProd(d, w)
		}
		if err == nil {
			d, err = G.Sum(d)
		}
		if err == nil {
			sh.loss, err = G.Mul(d, G.NewConstant(1/float64(r.bs*r.out)))
		}
		if err == nil {
			sh.grads, err = G.Grad(sh.loss, sl...)
		}
		if err == nil {
			sh.prog, err = autodiff.Compile(append(G.Nodes{sh.loss}, sh.grads...)...)
		}
		if err != nil {
			return fmt.Errorf("nn: regressor: shard %d: %w", s, err)
		}
		r.shards = append(r.shards, sh)
	}
	r.helper = autodiff.NewHelper()
	r.shardErrs = make([]error, n)
	r.shardRun = func(lo, hi int) {
		for s := lo; s < hi; s++ {
			r.shardErrs[s] = r.shards[s].prog.Run()
		}
	}
	return nil
}

// Batch returns the minibatch size B.
func (r *Regressor) Batch() int { return r.bs }

// Optimizer returns the Adam optimiser (for State/SetState).
func (r *Regressor) Optimizer() *Adam { return r.adam }

// Gradients returns the gradients of the last successful Step (after
// clipping), one slice per Optimizer().Params() entry. The slices are
// reused by the next step: copy them to keep them.
func (r *Regressor) Gradients() [][]float64 { return r.grads }

// Close stops the helper goroutines of the Regressor's programs.
func (r *Regressor) Close() {
	if r.full != nil {
		r.full.Close()
	}
	r.fwd.Close()
	if r.helper != nil {
		r.helper.Close()
	}
}

// Step runs forward, backward and one Adam update on one minibatch:
// x [B, in], y [B, out]. It returns the minibatch loss (before the
// update) and an error wrapping ErrNonFinite, without updating, if the
// loss or a gradient is NaN or infinite.
func (r *Regressor) Step(x, y []float64) (float64, error) {
	if len(x) != len(r.xBuf) || len(y) != len(r.yBuf) {
		return 0, fmt.Errorf("nn: regressor step: len(x)=%d len(y)=%d, want %d and %d", len(x), len(y), len(r.xBuf), len(r.yBuf))
	}
	copy(r.xBuf, x)
	copy(r.yBuf, y)
	for i := range r.wBuf {
		r.wBuf[i] = 1
	}
	return r.run()
}

// StepWeighted is Step with per-sample weights w [B]; the Regressor must
// have been built with Weighted.
func (r *Regressor) StepWeighted(x, y, w []float64) (float64, error) {
	if !r.weighted {
		return 0, errors.New("nn: regressor: StepWeighted on a regressor built without Weighted")
	}
	if len(x) != len(r.xBuf) || len(y) != len(r.yBuf) || len(w) != r.bs {
		return 0, fmt.Errorf("nn: regressor step: len(x)=%d len(y)=%d len(w)=%d, want %d, %d and %d", len(x), len(y), len(w), len(r.xBuf), len(r.yBuf), r.bs)
	}
	copy(r.xBuf, x)
	copy(r.yBuf, y)
	copy(r.wBuf, w)
	return r.run()
}

// run does one step on the data already in the input buffers.
func (r *Regressor) run() (float64, error) {
	var loss float64
	if r.shards != nil {
		var err error
		if loss, err = r.runShards(); err != nil {
			return 0, fmt.Errorf("nn: regressor: run: %w", err)
		}
	} else {
		if err := r.full.Run(); err != nil {
			return 0, fmt.Errorf("nn: regressor: run: %w", err)
		}
		loss = r.full.Data(r.loss)[0]
		for i, n := range r.gradNodes {
			copy(r.grads[i], r.full.Data(n))
		}
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, fmt.Errorf("nn: regressor: loss %v: %w", loss, ErrNonFinite)
	}
	for i, g := range r.grads {
		for _, v := range g {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return loss, fmt.Errorf("nn: regressor: gradient of %s: %w", r.learnedNames[i], ErrNonFinite)
			}
		}
	}
	if r.maxGradNorm > 0 {
		autodiff.ClipByGlobalNorm(r.grads, r.maxGradNorm)
	}
	r.adam.Step(r.grads)
	return loss, nil
}

// runShards runs the shards' graphs on the minibatch in the input buffers
// (shard 0 here, the others on the helper) and returns the loss, summed
// over the shards in order, with the gradient summed likewise in r.grads.
func (r *Regressor) runShards() (float64, error) {
	r.helper.Split(r.shardRun, 1, len(r.shards))
	for _, err := range r.shardErrs {
		if err != nil {
			return 0, err
		}
	}
	sh0 := r.shards[0]
	loss := sh0.prog.Data(sh0.loss)[0]
	for i, n := range sh0.grads {
		copy(r.grads[i], sh0.prog.Data(n))
	}
	for _, sh := range r.shards[1:] {
		loss += sh.prog.Data(sh.loss)[0]
		for i, n := range sh.grads {
			g := r.grads[i]
			for j, v := range sh.prog.Data(n) {
				g[j] += v
			}
		}
	}
	return loss, nil
}

// Predict runs the forward-only machine over x [n, in] into dst [n, out],
// B rows at a time (the last chunk padded with copies of its first row).
func (r *Regressor) Predict(dst, x []float64, n int) error {
	if n <= 0 || len(x) != n*r.in || len(dst) != n*r.out {
		return fmt.Errorf("nn: regressor predict: len(x)=%d len(dst)=%d for n=%d", len(x), len(dst), n)
	}
	for s := 0; s < n; s += r.bs {
		k := min(r.bs, n-s)
		copy(r.xBuf, x[s*r.in:(s+k)*r.in])
		for i := k; i < r.bs; i++ {
			copy(r.xBuf[i*r.in:(i+1)*r.in], x[s*r.in:(s+1)*r.in])
		}
		if err := r.fwd.Run(); err != nil {
			return fmt.Errorf("nn: regressor predict: %w", err)
		}
		copy(dst[s*r.out:(s+k)*r.out], r.predData[:k*r.out])
	}
	return nil
}

// Evaluate returns the mean squared error mean_ij (pred_ij - y_ij)² over
// x [n, in], y [n, out] without updating the weights.
func (r *Regressor) Evaluate(x, y []float64, n int) (float64, error) {
	if len(y) != n*r.out {
		return 0, fmt.Errorf("nn: regressor evaluate: len(y)=%d for n=%d, want %d", len(y), n, n*r.out)
	}
	pred := make([]float64, n*r.out)
	if err := r.Predict(pred, x, n); err != nil {
		return 0, err
	}
	var s float64
	for i, p := range pred {
		d := p - y[i]
		s += d * d
	}
	mse := s / float64(len(pred))
	if math.IsNaN(mse) || math.IsInf(mse, 0) {
		return mse, fmt.Errorf("nn: regressor evaluate: loss %v: %w", mse, ErrNonFinite)
	}
	return mse, nil
}

// FitResult summarises a Fit.
type FitResult struct {
	// Epochs is the number of epochs run and Steps the Adam steps taken.
	Epochs, Steps int
	// TrainLoss is the mean minibatch loss of each epoch.
	TrainLoss []float64
	// ValLoss is the validation MSE after each epoch (nil without a
	// validation split).
	ValLoss []float64
	// BestEpoch (0-based) is the epoch whose weights were kept and
	// BestValLoss its validation loss; without validation the last epoch
	// and NaN.
	BestEpoch   int
	BestValLoss float64
	// EarlyStopped reports that patience ran out before epochs.
	EarlyStopped bool
}

// Fit trains on x [n, in], y [n, out] for up to epochs epochs.
//
// A random valFrac of the rows (at least one if valFrac > 0) is held out
// for validation, the split drawn once from rng. Every epoch shuffles the
// training rows with rng and takes ceil(nTrain/B) steps of exactly B rows;
// the last partial batch is completed by wrapping around to the start of
// the epoch's order (so a few rows are seen twice; nTrain < B wraps
// repeatedly), and no graph is rebuilt. After each epoch the validation
// MSE is computed; the weights of the best epoch are restored at the end,
// and training stops early when it has not improved for patience epochs
// (patience <= 0: never). Without validation the final weights are kept.
// Adam's state is not rolled back with the weights.
//
// It returns an error wrapping ErrNonFinite as soon as a loss is NaN or
// infinite (the weights of the last good step are kept).
func (r *Regressor) Fit(x, y []float64, n, epochs int, rng *rand.Rand, valFrac float64, patience int) (FitResult, error) {
	return r.fit(x, y, nil, n, epochs, rng, valFrac, patience)
}

// FitWeighted is Fit with per-sample weights w [n] (the Regressor must be
// built with Weighted); validation loss is unweighted.
func (r *Regressor) FitWeighted(x, y, w []float64, n, epochs int, rng *rand.Rand, valFrac float64, patience int) (FitResult, error) {
	if !r.weighted {
		return FitResult{}, errors.New("nn: regressor: FitWeighted on a regressor built without Weighted")
	}
	if len(w) != n {
		return FitResult{}, fmt.Errorf("nn: regressor fit: len(w)=%d, want n=%d", len(w), n)
	}
	return r.fit(x, y, w, n, epochs, rng, valFrac, patience)
}

func (r *Regressor) fit(x, y, w []float64, n, epochs int, rng *rand.Rand, valFrac float64, patience int) (FitResult, error) {
	res := FitResult{BestValLoss: math.NaN()}
	if n <= 0 || len(x) != n*r.in || len(y) != n*r.out {
		return res, fmt.Errorf("nn: regressor fit: len(x)=%d len(y)=%d for n=%d (in %d, out %d)", len(x), len(y), n, r.in, r.out)
	}
	if !(valFrac >= 0 && valFrac < 1) {
		return res, fmt.Errorf("nn: regressor fit: valFrac %v not in [0, 1)", valFrac)
	}
	perm := rng.Perm(n)
	nVal := int(valFrac * float64(n))
	if valFrac > 0 && nVal == 0 {
		nVal = 1
	}
	if nVal >= n {
		return res, fmt.Errorf("nn: regressor fit: %d rows leave nothing to train on after a %v validation split", n, valFrac)
	}
	val, train := perm[:nVal], perm[nVal:]
	var xv, yv []float64
	var best [][]float64
	if nVal > 0 {
		xv = make([]float64, 0, nVal*r.in)
		yv = make([]float64, 0, nVal*r.out)
		for _, i := range val {
			xv = append(xv, x[i*r.in:(i+1)*r.in]...)
			yv = append(yv, y[i*r.out:(i+1)*r.out]...)
		}
		for _, p := range r.model.Params() {
			best = append(best, append([]float64(nil), p.Data()...))
		}
	}
	for i := range r.wBuf {
		r.wBuf[i] = 1
	}
	nt := len(train)
	steps := (nt + r.bs - 1) / r.bs
	wait := 0
	for ep := range epochs {
		rng.Shuffle(nt, func(i, j int) { train[i], train[j] = train[j], train[i] })
		var sum float64
		for s := range steps {
			for b := range r.bs {
				i := train[(s*r.bs+b)%nt]
				copy(r.xBuf[b*r.in:(b+1)*r.in], x[i*r.in:(i+1)*r.in])
				copy(r.yBuf[b*r.out:(b+1)*r.out], y[i*r.out:(i+1)*r.out])
				if w != nil {
					r.wBuf[b] = w[i]
				}
			}
			loss, err := r.run()
			if err != nil {
				return res, fmt.Errorf("nn: regressor fit: epoch %d step %d: %w", ep, s, err)
			}
			sum += loss
			res.Steps++
		}
		res.Epochs++
		res.TrainLoss = append(res.TrainLoss, sum/float64(steps))
		if nVal == 0 {
			res.BestEpoch = ep
			continue
		}
		vl, err := r.Evaluate(xv, yv, nVal)
		if err != nil {
			return res, fmt.Errorf("nn: regressor fit: epoch %d validation: %w", ep, err)
		}
		res.ValLoss = append(res.ValLoss, vl)
		if ep == 0 || vl < res.BestValLoss {
			res.BestValLoss, res.BestEpoch, wait = vl, ep, 0
			for k, p := range r.model.Params() {
				copy(best[k], p.Data())
			}
		} else if wait++; patience > 0 && wait >= patience {
			res.EarlyStopped = true
			break
		}
	}
	if nVal > 0 && res.Epochs > 0 {
		for k, p := range r.model.Params() {
			copy(p.Data(), best[k])
		}
	}
	return res, nil
}
