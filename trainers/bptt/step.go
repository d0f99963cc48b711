package bptt

import (
	"context"
	"fmt"

	"github.com/mbrl/mbrl/autodiff"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Engine computes the H-step cost of a policy from a batch of B start
// states and its gradient by backpropagation through time (Werbos 1990),
// with ONE step graph reused for every time step: the graph takes x_t
// [B, n] and g_{t+1} = dJ/dx_{t+1} [B, n] (the gradient arriving from the
// future) as inputs and computes
//
//	u_t = pi(input(x_t)),  x_{t+1} = f(x_t, u_t),
//	L_t = Σ_b c(x_t, u_t)_b + Σ g_{t+1} ⊙ x_{t+1}
//
// whose gradients are dL_t/dx_t = g_t (a vector-Jacobian product chained
// backward through time) and this step's contribution to dJ/dtheta. A
// step graph runs as an autodiff.Program in two stages: the forward stage
// computes u_t, x_{t+1} and the costs; the backward stage the gradients.
// The forward sweep runs the forward stage for t = 0..H-1 and keeps x_t and
// the activations the backward stage reads (Program.Carried: ActivationSize
// floats per step); the backward sweep runs t = H-1..0, restoring step t's
// activations and running only the backward stage, accumulating the
// parameter gradient. Build time and the graph do not depend on H; the
// sweeps store H+1 states and H sets of activations. J = Σ_b Σ_{t<H}
// c(x_t^b, u_t^b) is the batch-summed total cost (divide by B for the
// mean).
//
// An Engine is not safe for concurrent use (one per goroutine).
type Engine struct {
	sys         System
	pol         Policy
	batch, n, m int
	g           *G.ExprGraph
	prog        *autodiff.Program // stage 0 forward, stage 1 backward
	xBuf, gBuf  []float64
	xNextD, cD  []float64   // the program's buffers of x_{t+1} and c
	grads       G.Nodes     // dL/dx, dL/du, then one per parameter
	gradD       [][]float64 // the program's buffers of grads
	states      [][]float64
	acts        [][]float64 // per step, the carried activations
	actSize     int
	h           int
	gx, gu      []float64 // dJ/dx_t, dJ/du_t of the backward sweep
}

// NewEngine builds the step graph for batches of batch start states.
func NewEngine(sys System, pol Policy, batch int) (*Engine, error) {
	if batch <= 0 {
		return nil, fmt.Errorf("bptt: batch %d must be positive", batch)
	}
	n, m := sys.StateDim(), sys.ActionDim()
	e := &Engine{sys: sys, pol: pol, batch: batch, n: n, m: m, g: G.NewGraph()}
	g := e.g
	e.xBuf = make([]float64, batch*n)
	e.gBuf = make([]float64, batch*n)
	x := G.NewMatrix(g, G.Float64, G.WithShape(batch, n), G.WithName("x_t"),
		G.WithValue(tensor.New(tensor.WithShape(batch, n), tensor.WithBacking(e.xBuf))))
	gN := G.NewMatrix(g, G.Float64, G.WithShape(batch, n), G.WithName("g_next"),
		G.WithValue(tensor.New(tensor.WithShape(batch, n), tensor.WithBacking(e.gBuf))))
	in, err := sys.GraphInput(x)
	if err != nil {
		return nil, fmt.Errorf("bptt: policy input: %w", err)
	}
	u, learn, err := pol.Build(g, in)
	if err != nil {
		return nil, fmt.Errorf("bptt: policy: %w", err)
	}
	if s := u.Shape(); len(s) != 2 || s[0] != batch || s[1] != m {
		return nil, fmt.Errorf("bptt: policy output shape %v, want [%d %d]", s, batch, m)
	}
	ps := pol.Params()
	if len(learn) != len(ps) {
		return nil, fmt.Errorf("bptt: policy graph has %d weight nodes for %d parameters", len(learn), len(ps))
	}
	for i, l := range learn {
		if l.Name() != ps[i].Name {
			return nil, fmt.Errorf("bptt: policy weight node %d is %q, parameter %q", i, l.Name(), ps[i].Name)
		}
	}
	xNext, err := sys.GraphNext(x, u)
	if err != nil {
		return nil, fmt.Errorf("bptt: dynamics: %w", err)
	}
	c, err := sys.GraphCost(x, u)
	if err != nil {
		return nil, fmt.Errorf("bptt: cost: %w", err)
	}
	sumC, err := G.Sum(c)
	if err != nil {
		return nil, fmt.Errorf("bptt: %w", err)
	}
	vjp, err := G.HadamardProd(gN, xNext)
	if err == nil {
		vjp, err = G.Sum(vjp)
	}
	var loss *G.Node
	if err == nil {
		loss, err = G.Add(sumC, vjp)
	}
	if err != nil {
		return nil, fmt.Errorf("bptt: step loss: %w", err)
	}
	wrt := append(G.Nodes{x, u}, learn...)
	if e.grads, err = autodiff.GradWRT(loss, wrt...); err != nil {
		return nil, fmt.Errorf("bptt: step gradient: %w", err)
	}
	e.gx, e.gu = make([]float64, batch*n), make([]float64, batch*m)
	if e.prog, err = autodiff.CompileStages(G.Nodes{xNext, c}, append(G.Nodes{loss}, e.grads...)); err != nil {
		return nil, fmt.Errorf("bptt: step graph: %w", err)
	}
	e.xNextD, e.cD = e.prog.Data(xNext), e.prog.Data(c)
	if len(e.xNextD) != batch*n || len(e.cD) != batch {
		return nil, fmt.Errorf("bptt: next state has %d values and cost %d, want %d and %d", len(e.xNextD), len(e.cD), batch*n, batch)
	}
	for i, gn := range e.grads {
		d := e.prog.Data(gn)
		want := batch * n
		switch {
		case i == 1:
			want = batch * m
		case i > 1:
			want = len(ps[i-2].Data())
		}
		if len(d) != want {
			return nil, fmt.Errorf("bptt: gradient %d has %d values, want %d", i, len(d), want)
		}
		e.gradD = append(e.gradD, d)
	}
	for _, a := range e.prog.Carried() {
		e.actSize += len(a)
	}
	return e, nil
}

// Batch returns B.
func (e *Engine) Batch() int { return e.batch }

// Close releases the Engine's resources (only memory; kept for symmetry).
func (e *Engine) Close() {}

// ActivationSize returns the number of float64 values the forward sweep
// keeps per time step for the backward sweep (besides x_t).
func (e *Engine) ActivationSize() int { return e.actSize }

// States returns the states x_0..x_H [B*n each] of the last Forward (not
// copies; overwritten by the next Forward).
func (e *Engine) States() [][]float64 { return e.states[:e.h+1] }

// Forward rolls the policy out for h steps from x0 [B*n] (row-major),
// storing x_0..x_h, and returns J = Σ_b Σ_{t<h} c_t^b and the per-step
// batch-summed costs appended to costs (if non-nil).
func (e *Engine) Forward(ctx context.Context, x0 []float64, h int, costs []float64) (float64, []float64, error) {
	if len(x0) != e.batch*e.n {
		return 0, costs, fmt.Errorf("bptt: %d start values for batch %d of %d-dim states", len(x0), e.batch, e.n)
	}
	if h < 0 {
		return 0, costs, fmt.Errorf("bptt: negative horizon %d", h)
	}
	for len(e.states) < h+1 {
		e.states = append(e.states, make([]float64, e.batch*e.n))
	}
	for len(e.acts) < h {
		e.acts = append(e.acts, make([]float64, e.actSize))
	}
	e.h = h
	copy(e.states[0], x0)
	var total float64
	for t := range h {
		if t%64 == 63 && ctx.Err() != nil {
			return 0, costs, ctx.Err()
		}
		copy(e.xBuf, e.states[t])
		if err := e.prog.RunStage(0); err != nil {
			return 0, costs, fmt.Errorf("bptt: forward step %d: %w", t, err)
		}
		off := 0
		for _, a := range e.prog.Carried() {
			off += copy(e.acts[t][off:], a)
		}
		copy(e.states[t+1], e.xNextD)
		var s float64
		for _, v := range e.cD {
			s += v
		}
		total += s
		if costs != nil {
			costs = append(costs, s)
		}
	}
	return total, costs, nil
}

// StepFunc receives, during Backward, the step t, the state x_t [B*n], the
// gradient dJ/dx_t [B*n] and the gradient dJ/du_t [B*m] (under truncation,
// of the truncated objective). The slices are reused: copy what you keep.
type StepFunc func(t int, x, gx, gu []float64)

// Backward runs the backward sweep over the last Forward and writes
// dJ/dtheta into grads (one slice per policy parameter, overwritten).
// truncate > 0 stops the gradient every truncate steps: the horizon is cut
// into chunks [kK, (k+1)K) and g_{kK} is not passed on to step kK-1, so a
// cost sees at most K steps of its past (truncated BPTT with k1 = k2 = K);
// 0 backpropagates through the whole horizon. onStep, if non-nil, is
// called for every t = H-1..0.
func (e *Engine) Backward(ctx context.Context, grads [][]float64, truncate int, onStep StepFunc) error {
	ps := e.pol.Params()
	if len(grads) != len(ps) {
		return fmt.Errorf("bptt: %d gradient slices for %d parameters", len(grads), len(ps))
	}
	for i, p := range ps {
		if len(grads[i]) != len(p.Data()) {
			return fmt.Errorf("bptt: gradient %d has %d values, parameter %s %d", i, len(grads[i]), p.Name, len(p.Data()))
		}
		clear(grads[i])
	}
	clear(e.gBuf)
	gx, gu := e.gx, e.gu
	for t := e.h - 1; t >= 0; t-- {
		if t%64 == 63 && ctx.Err() != nil {
			return ctx.Err()
		}
		copy(e.xBuf, e.states[t])
		off := 0
		for _, a := range e.prog.Carried() {
			off += copy(a, e.acts[t][off:])
		}
		if err := e.prog.RunStage(1); err != nil {
			return fmt.Errorf("bptt: backward step %d: %w", t, err)
		}
		copy(gx, e.gradD[0])
		if onStep != nil {
			copy(gu, e.gradD[1])
		}
		for i, g := range e.gradD[2:] {
			for j, v := range g {
				grads[i][j] += v
			}
		}
		if onStep != nil {
			onStep(t, e.states[t], gx, gu)
		}
		if truncate > 0 && t%truncate == 0 {
			clear(e.gBuf)
		} else {
			copy(e.gBuf, gx)
		}
	}
	return nil
}

// NewGrads allocates one zero gradient slice per parameter of pol.
func NewGrads(pol Policy) [][]float64 {
	var g [][]float64
	for _, p := range pol.Params() {
		g = append(g, make([]float64, len(p.Data())))
	}
	return g
}
