package dyna

// The value learner: DQN (Mnih et al., "Human-level control through deep
// reinforcement learning", Nature 518, 2015), i.e. Q-learning with a neural
// Q-network trained on minibatches from a replay buffer against a target
// network, with the Huber loss and (optionally) the double-DQN target of van
// Hasselt, Guez & Silver (AAAI 2016).

import (
	"errors"
	"fmt"
	"math"

	"github.com/mbrl/mbrl/autodiff"
	"github.com/mbrl/mbrl/nn"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// qLearner owns the Q-network, its target network and the training graph.
// The graph is built once in newQLearner with three inputs that every update
// overwrites:
//
//	obs    [B, obsDim]  observations
//	mask   [B, A]       one-hot of the actions taken
//	target [B]          y = r + gamma (1 - terminal) Q_target(s', a')
//
// and computes the mean Huber loss of Q(obs)·mask summed over actions
// against target. The targets are computed outside the graph with the
// networks' allocation-free single-row paths (the target network has no
// graph at all).
type qLearner struct {
	q, target *nn.QNetwork
	batch     int
	obsDim    int
	actions   int
	gamma     float64
	double    bool
	bounded   bool    // bootstrap values are clipped into [vlo, vhi]
	vlo, vhi  float64 // (setRewardRange)
	clip      float64
	tau       float64 // Polyak rate per Q update (0: hard copies)
	hardEvery int     // hard target copy period in real steps (tau == 0)

	prog                    *autodiff.Program
	obsBuf, maskBuf, tgtBuf []float64
	loss                    *G.Node
	gradNodes               G.Nodes
	grads                   [][]float64
	adam                    *nn.Adam
	nextQ, nextQOnline      []float64
	updates, targetCalls    int64
	qParams, targetParams   [][]float64
}

// qConfig is the part of Config the learner needs.
type qConfig struct {
	batch     int
	gamma     float64
	double    bool
	bounded   bool
	clip      float64
	tau       float64
	hardEvery int
	adam      nn.Adam
}

func newQLearner(q *nn.QNetwork, cfg qConfig) (*qLearner, error) {
	arch := q.Arch().(nn.QArch)
	l := &qLearner{
		q: q, target: q.Clone(), batch: cfg.batch, obsDim: arch.ObsDim, actions: arch.NumActions,
		gamma: cfg.gamma, double: cfg.double, bounded: cfg.bounded && cfg.gamma < 1, clip: cfg.clip, tau: cfg.tau, hardEvery: cfg.hardEvery,
	}
	b, n, a := cfg.batch, arch.ObsDim, arch.NumActions
	l.obsBuf, l.maskBuf, l.tgtBuf = make([]float64, b*n), make([]float64, b*a), make([]float64, b)
	g := G.NewGraph()
	obs := G.NewMatrix(g, G.Float64, G.WithShape(b, n), G.WithName("obs"),
		G.WithValue(tensor.New(tensor.WithShape(b, n), tensor.WithBacking(l.obsBuf))))
	mask := G.NewMatrix(g, G.Float64, G.WithShape(b, a), G.WithName("mask"),
		G.WithValue(tensor.New(tensor.WithShape(b, a), tensor.WithBacking(l.maskBuf))))
	tgt := G.NewVector(g, G.Float64, G.WithShape(b), G.WithName("target"),
		G.WithValue(tensor.New(tensor.WithShape(b), tensor.WithBacking(l.tgtBuf))))
	nodes := q.Bind(g)
	qAll, err := q.Apply(nodes, obs)
	if err != nil {
		return nil, fmt.Errorf("dyna: Q graph: %w", err)
	}
	loss, err := huberLoss(qAll, mask, tgt)
	if err != nil {
		return nil, fmt.Errorf("dyna: Q loss graph: %w", err)
	}
	l.loss = loss
	learn := nodes.Learnables()
	if l.gradNodes, err = G.Grad(loss, learn...); err != nil {
		return nil, fmt.Errorf("dyna: Q gradient: %w", err)
	}
	l.grads = make([][]float64, len(learn))
	for i, p := range q.Params() {
		l.grads[i] = make([]float64, len(p.Data()))
		l.qParams = append(l.qParams, p.Data())
		l.targetParams = append(l.targetParams, l.target.Params()[i].Data())
	}
	l.adam = nn.NewAdam(cfg.adam, q.Params())
	l.vlo, l.vhi = math.Inf(-1), math.Inf(1)
	if l.prog, err = autodiff.Compile(append(G.Nodes{loss}, l.gradNodes...)...); err != nil {
		return nil, fmt.Errorf("dyna: Q graph: %w", err)
	}
	l.nextQ, l.nextQOnline = make([]float64, a), make([]float64, a)
	return l, nil
}

// huberLoss builds mean_i huber(sum_a q[i,a] mask[i,a] - target[i]) with
// huber(d) = d²/2 for |d| <= 1 and |d| - 1/2 beyond, from primitives with
// symbolic gradients: with a = |d|, e = relu(a - 1) and c = a - e = min(a, 1),
// huber = c²/2 + e.
func huberLoss(q, mask, target *G.Node) (*G.Node, error) {
	var err error
	do := func(n *G.Node, e error) *G.Node {
		if err == nil {
			err = e
		}
		return n
	}
	qa := do(G.Sum(do(G.HadamardProd(q, mask)), 1))
	d := do(G.Sub(qa, target))
	a := do(G.Abs(d))
	e := do(G.Rectify(do(G.Sub(a, G.NewConstant(1.0)))))
	c := do(G.Sub(a, e))
	h := do(G.Add(do(G.Mul(do(G.Square(c)), G.NewConstant(0.5))), e))
	loss := do(G.Mean(h))
	return loss, err
}

// errNonFinite marks a NaN or infinite loss or gradient.
var errNonFinite = errors.New("dyna: non-finite Q loss or gradient (try a smaller --lr)")

// update does one DQN step on a minibatch of B transitions: obs and next
// [B, obsDim], act [B] action indices, rew [B], term [B]. It returns the
// Huber loss before the step.
func (l *qLearner) update(obs []float64, act []int, rew, next []float64, term []bool) (float64, error) {
	return l.updateDiscounted(obs, act, rew, next, term, l.gamma)
}

// updateDiscounted is update with the bootstrap discounted by discount
// instead of gamma: gamma^n for transitions whose reward is the discounted
// sum of n rewards (the model-expanded targets of Config.ExpansionSteps).
func (l *qLearner) updateDiscounted(obs []float64, act []int, rew, next []float64, term []bool, discount float64) (float64, error) {
	l.setBatchDiscounted(obs, act, rew, next, term, discount)
	loss, err := l.lossAndGrad()
	if err != nil {
		return loss, err
	}
	norm := autodiff.ClipByGlobalNorm(l.grads, l.clip)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return loss, errNonFinite
	}
	l.adam.Step(l.grads)
	l.updates++
	if l.tau > 0 {
		l.polyak()
	}
	return loss, nil
}

// setBatch fills the graph's inputs: the observations, the one-hot mask
// of the actions and the targets y = r + gamma (1 - term) Q_target(s', a')
// with a' = argmax_a Q_target(s', a), or argmax_a Q(s', a) for double DQN,
// and Q_target(s', a') clipped into the value bounds when bounded.
func (l *qLearner) setBatch(obs []float64, act []int, rew, next []float64, term []bool) {
	l.setBatchDiscounted(obs, act, rew, next, term, l.gamma)
}

// setBatchDiscounted is setBatch with the bootstrap discounted by discount.
func (l *qLearner) setBatchDiscounted(obs []float64, act []int, rew, next []float64, term []bool, discount float64) {
	n, a := l.obsDim, l.actions
	copy(l.obsBuf, obs)
	clear(l.maskBuf)
	for i := range l.batch {
		l.maskBuf[i*a+act[i]] = 1
		y := rew[i]
		if !term[i] {
			s := next[i*n : (i+1)*n]
			l.target.Values(l.nextQ, s)
			var v float64
			if l.double {
				v = l.nextQ[l.q.Greedy(s)]
			} else {
				v = l.nextQ[0]
				for _, x := range l.nextQ[1:] {
					v = max(v, x)
				}
			}
			if l.bounded {
				v = min(max(v, l.vlo), l.vhi)
			}
			y += discount * v
		}
		l.tgtBuf[i] = y
	}
}

// setRewardRange sets the value bounds of a bounded learner from the
// smallest and largest rewards seen: every discounted return lies in
// [min(0, rmin), max(0, rmax)] / (1 - gamma).
func (l *qLearner) setRewardRange(rmin, rmax float64) {
	if l.bounded {
		l.vlo, l.vhi = min(0, rmin)/(1-l.gamma), max(0, rmax)/(1-l.gamma)
	}
}

// lossAndGrad runs the training graph on the current inputs and copies
// the gradient of the loss into l.grads.
func (l *qLearner) lossAndGrad() (float64, error) {
	if err := l.prog.Run(); err != nil {
		return 0, fmt.Errorf("dyna: Q update: %w", err)
	}
	loss := l.prog.Data(l.loss)[0]
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, errNonFinite
	}
	for i, n := range l.gradNodes {
		copy(l.grads[i], l.prog.Data(n))
	}
	return loss, nil
}

// polyak moves the target network towards the online one after every Q
// update: theta' <- tau theta + (1 - tau) theta'. Per update, not per
// real step: the target's time constant is 1/tau updates, so that the
// value propagation speeds up with the updates per real step (see the
// package documentation).
func (l *qLearner) polyak() {
	for i, src := range l.qParams {
		dst := l.targetParams[i]
		for j, v := range src {
			dst[j] += l.tau * (v - dst[j])
		}
	}
}

// updateTarget is the hard target copy of the original DQN: the trainer
// calls it once per real step, and every hardEvery calls it copies the
// online network into the target. It does nothing with Polyak averaging
// (tau > 0), which update does.
func (l *qLearner) updateTarget() {
	if l.tau > 0 {
		return
	}
	l.targetCalls++
	if l.targetCalls%int64(l.hardEvery) == 0 {
		l.syncTarget()
	}
}

// syncTarget copies the online weights and normaliser into the target.
func (l *qLearner) syncTarget() {
	for i, src := range l.qParams {
		copy(l.targetParams[i], src)
	}
	l.syncNormaliser()
}

// syncNormaliser copies the online network's observation normaliser into
// the target's.
func (l *qLearner) syncNormaliser() {
	if src, dst := l.q.Normaliser(), l.target.Normaliser(); src != nil && dst != nil {
		copy(dst.Mean, src.Mean)
		copy(dst.Std, src.Std)
	}
}

func (l *qLearner) close() {}
