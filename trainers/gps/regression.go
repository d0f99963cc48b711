package gps

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mbrl/mbrl/nn"
)

// Regression holds the data and buffers of the policy step of guided
// policy search: the weighted supervised regression of the policy onto
// the trajectories' (shifted) actions. Both forms of GPS (this package's
// and lggps's local-model one) fill Xs [rows, P], Ys [rows, M] and Ws
// [rows] and call Fit.
type Regression struct {
	P, M       int       // input and output widths
	Xs, Ys, Ws []float64 // the rows: inputs, targets, weights
	Order      []int     // row order of the current epoch, len(Ws)
	Xb, Yb, Wb []float64 // one minibatch of Batch rows
}

// NewRegression returns a Regression of at most rows rows of width p -> m
// and minibatches of batch rows.
func NewRegression(rows, p, m, batch int) *Regression {
	return &Regression{
		P: p, M: m,
		Xs: make([]float64, rows*p), Ys: make([]float64, rows*m), Ws: make([]float64, rows),
		Order: make([]int, rows),
		Xb:    make([]float64, batch*p), Yb: make([]float64, batch*m), Wb: make([]float64, batch),
	}
}

// Fit trains reg on the first n rows for epochs epochs of shuffled
// minibatches (rng shuffles), with the learning rate annealed by a cosine
// from lr to lrFloor*lr over all the steps (restored to lr afterwards),
// and returns the mean minibatch loss of the last epoch. It returns
// ctx's error between two epochs once ctx is cancelled (so a long policy
// step ends promptly on SIGINT or SIGTERM).
func (r *Regression) Fit(ctx context.Context, reg *nn.Regressor, rng *rand.Rand, n, epochs int, lr, lrFloor float64) (float64, error) {
	B, p, m := len(r.Wb), r.P, r.M
	for i := range r.Order {
		r.Order[i] = i
	}
	opt := reg.Optimizer()
	defer func() { opt.LR = lr }()
	steps := (n + B - 1) / B
	total := steps * epochs
	var epochLoss float64
	for ep := range epochs {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		rng.Shuffle(n, func(i, j int) { r.Order[i], r.Order[j] = r.Order[j], r.Order[i] })
		epochLoss = 0
		for s := range steps {
			for b := range B {
				i := r.Order[(s*B+b)%n]
				copy(r.Xb[b*p:(b+1)*p], r.Xs[i*p:(i+1)*p])
				copy(r.Yb[b*m:(b+1)*m], r.Ys[i*m:(i+1)*m])
				r.Wb[b] = r.Ws[i]
			}
			frac := float64(ep*steps+s) / float64(max(total-1, 1))
			opt.LR = lr * (lrFloor + (1-lrFloor)*0.5*(1+math.Cos(math.Pi*frac)))
			loss, err := reg.StepWeighted(r.Xb, r.Yb, r.Wb)
			if err != nil {
				return 0, fmt.Errorf("epoch %d: %w", ep, err)
			}
			epochLoss += loss
		}
	}
	return epochLoss / float64(steps), nil
}
