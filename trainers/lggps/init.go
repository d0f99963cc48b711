package lggps

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/control/learned"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/model"
)

// Random streams of the model initialisation (rand.NewPCG(Seed, stream)).
const (
	InitDataStream  = 23      // the random-action episodes
	InitModelStream = 24      // the global model's initial weights
	InitPlanStream  = 1 << 50 // + k: condition k's random initial plans
)

// ModelInit configures the initial controllers from samples alone: a
// global dynamics model x' = f(x, u) of the env's state (an
// nn.DynamicsModel, as "mbrl train model" fits on observations) is fitted
// to Episodes episodes of uniformly random actions from the reset
// distribution, and iLQR on that model (the cost's derivatives by finite
// differences of its value), as receding-horizon control on the real env
// from each condition (T env steps each, counted), gives the initial
// controllers' means: the actions it took. This is the initial controller of Levine &
// Abbeel 2014 (their Sec. 5 starts from a controller; here it comes from
// the samples, not from knowledge of the env). Episodes 0 turns it off.
type ModelInit struct {
	// Episodes of random actions, Steps long (0: the horizon T); their
	// env steps are counted in env_steps.
	Episodes, Steps int
	// Hidden and Epochs size the model and its fit (Adam, minibatches of
	// 256, learning rate LR).
	Hidden []int
	Epochs int
	LR     float64
	// Plans and Iters configure the receding-horizon iLQR
	// (control.MPCSettings; Plans > 1 adds zero, random and bang-bang
	// candidate plans every step); it runs once per planning horizon of
	// Horizons (0: control.MPC's default) from every condition, and the
	// rollout of least cost on the env is kept (each rollout's T env steps
	// count). One horizon does not fit all: 20 swings the pendulum up
	// where 60 leaves it hanging, 60 keeps the cart-pole up for 500 steps
	// where 20 lets the cart drift until the pole falls.
	Plans, Iters int
	Horizons     []int
	// Rounds of that planning (at least 1): after each round but the
	// last, every rollout's transitions join the data and the model is
	// trained RefitEpochs more epochs on all of it, as "mbrl train mpc"
	// does between its episodes; each condition keeps its rollout of least
	// cost over all rounds. A model fitted to random actions alone is poor
	// where they rarely go (the pendulum's upright), which made some
	// conditions' rollouts circle the pendulum once more than needed.
	Rounds, RefitEpochs int
}

// DefaultModelInit returns the model initialisation used by --init model:
// 16 random episodes, a [64, 64] tanh model trained for 1000 epochs
// (fewer left half the pendulum's conditions hanging), one warm-started
// plan, planning horizons 20 and 60, three rounds with refits of 300
// epochs (pendulum seeds 1-5 with a fixed rho and 10 iterations: -147.9 /
// -157.9 / -147.1 / -149.1 / -146.1 on the seed-11 starts, against
// -148.4 / -164.9 / -152.4 / -145.4 / -140.2 with one round).
func DefaultModelInit() ModelInit {
	return ModelInit{Episodes: 16, Hidden: []int{64, 64}, Epochs: 1000, LR: 3e-3, Plans: 1, Horizons: []int{20, 60}, Rounds: 3, RefitEpochs: 300}
}

func (c ModelInit) check(v *config.Checker) {
	if c.Episodes == 0 {
		return
	}
	v.AtLeast("ModelInit.Episodes", c.Episodes, 0)
	v.AtLeast("ModelInit.Steps", c.Steps, 0)
	v.Check(len(c.Hidden) > 0, "ModelInit.Hidden", "needs at least one layer size")
	v.Sizes("ModelInit.Hidden", c.Hidden)
	v.AtLeast("ModelInit.Epochs", c.Epochs, 1)
	v.Positive("ModelInit.LR", c.LR)
	v.AtLeast("ModelInit.Plans", c.Plans, 1)
	v.Check(len(c.Horizons) > 0, "ModelInit.Horizons", "needs at least one planning horizon")
	for _, h := range c.Horizons {
		v.Check(h >= 0, "ModelInit.Horizons", "must be >= 0, got %d", h)
	}
	v.AtLeast("ModelInit.Iters", c.Iters, 0)
	v.AtLeast("ModelInit.Rounds", c.Rounds, 1)
	v.AtLeast("ModelInit.RefitEpochs", c.RefitEpochs, 0)
}

// fdCost is a CostFunc as a control.Cost: its derivatives by the
// expander's central differences (Hessian projected on the PSD cone).
type fdCost struct {
	exp  *expander
	n, m int
	z    []float64
}

func (c *fdCost) Cost(x, u []float64) float64 { return c.exp.cost.Cost(x, u) }

func (c *fdCost) CostDerivs(d *envs.CostDerivs, x, u []float64) {
	n, m := c.n, c.m
	w := n + m
	copy(c.z, x)
	copy(c.z[n:], u)
	d.L = c.exp.expand(c.z)
	copy(d.Lx, c.exp.g[:n])
	copy(d.Lu, c.exp.g[n:])
	for i := range n {
		copy(d.Lxx[i*n:(i+1)*n], c.exp.H[i*w:i*w+n])
	}
	for a := range m {
		copy(d.Luu[a*m:(a+1)*m], c.exp.H[(n+a)*w+n:(n+a+1)*w])
		copy(d.Lux[a*n:(a+1)*n], c.exp.H[(n+a)*w:(n+a)*w+n])
	}
}

// initFromModel sets every controller's mean from iLQR on a global model
// fitted to random-action episodes (Config.ModelInit). It returns the
// model's last-epoch training loss.
func (t *Trainer) initFromModel(ctx context.Context) (float64, error) {
	mi := t.cfg.ModelInit
	n, m := t.n, t.m
	env := t.workers[0].env
	steps := mi.Steps
	if steps == 0 {
		steps = t.T
	}
	// The data: uniform random actions (N(0, 1) on unbounded dimensions)
	// from the reset distribution, each episode until it ends.
	rng := rand.New(rand.NewPCG(t.cfg.Seed, InitDataStream))
	var obs, act, next []float64
	u := make([]float64, m)
	rows := 0
	for range mi.Episodes {
		env.Reset(rng)
		x := append([]float64(nil), env.State()...)
		for range steps {
			for i := range u {
				if t.low == nil {
					u[i] = rng.NormFloat64()
				} else {
					u[i] = t.low[i] + (t.high[i]-t.low[i])*rng.Float64()
				}
			}
			_, _, term, trunc := env.Step(u)
			t.envSteps++
			xn := env.State()
			obs, act, next = append(obs, x...), append(act, u...), append(next, xn...)
			rows++
			copy(x, xn)
			if term || trunc {
				break
			}
		}
	}
	fcfg := model.FitConfig{Hidden: mi.Hidden, Activation: nn.Tanh, Ensemble: 1, Batch: 256, LR: mi.LR}
	f, err := model.NewFitter("init_dynamics", n, m, fcfg, rand.New(rand.NewPCG(t.cfg.Seed, InitModelStream)), t.cfg.Seed)
	if err != nil {
		return 0, fmt.Errorf("lggps: model init: %w", err)
	}
	defer f.Close()
	if err := f.SetData(obs, act, next, rows); err != nil {
		return 0, fmt.Errorf("lggps: model init: %w", err)
	}
	loss, err := f.Epochs(ctx, mi.Epochs)
	if err != nil {
		return 0, fmt.Errorf("lggps: model init: %w", err)
	}
	for k := range t.initCost {
		t.initCost[k] = math.Inf(1)
	}
	// Every condition's rollouts of the current round, one per horizon.
	rollX, rollU := make([][][][]float64, t.K), make([][][][]float64, t.K)
	for k := range t.K {
		rollX[k], rollU[k] = make([][][]float64, len(mi.Horizons)), make([][][]float64, len(mi.Horizons))
		for h := range mi.Horizons {
			rollX[k][h], rollU[k][h] = mat2(t.T+1, n), mat2(t.T, m)
		}
	}
	for r := range mi.Rounds {
		if r > 0 {
			// The last round's rollouts join the data; the model trains on.
			for k := range t.K {
				for h := range mi.Horizons {
					X, U := rollX[k][h], rollU[k][h]
					for s := range t.T {
						obs, act, next = append(obs, X[s]...), append(act, U[s]...), append(next, X[s+1]...)
						rows++
					}
				}
			}
			if err := f.SetData(obs, act, next, rows); err != nil {
				return 0, fmt.Errorf("lggps: model init: %w", err)
			}
			if loss, err = f.Epochs(ctx, mi.RefitEpochs); err != nil {
				return 0, fmt.Errorf("lggps: model init: %w", err)
			}
		}
		lm, err := learned.New(f.Model(), t.low, t.high, false)
		if err != nil {
			return 0, fmt.Errorf("lggps: model init: %w", err)
		}
		for _, w := range t.workers {
			w.model = lm.Clone()
		}
		err = t.parallel(ctx, func(w *worker, k int) error { return t.planCondition(w, k, rollX[k], rollU[k]) })
		for _, w := range t.workers {
			w.model = nil
		}
		t.envSteps += t.K * t.T * len(mi.Horizons)
		if err != nil {
			return loss, err
		}
	}
	for k, c := range t.initCost {
		if math.IsInf(c, 1) {
			return loss, fmt.Errorf("lggps: model init: condition %d: no rollout of finite cost (raise --init-episodes)", k)
		}
	}
	return loss, nil
}

// planCondition rolls condition k out on the env (worker w's) with
// receding-horizon iLQR (control.MPC) on the global model, once per
// planning horizon of ModelInit.Horizons into rollX, rollU [horizon] (the
// round's data for the next refit); when the cheapest of them beats the
// earlier rounds' it becomes controller k's mean with tracking gains (see
// trackingGains) and its cost is kept in initCost.
func (t *Trainer) planCondition(w *worker, k int, rollX, rollU [][][]float64) error {
	mi, n, m := t.cfg.ModelInit, t.n, t.m
	cost := &fdCost{exp: newExpander(t.cost, n, m, t.cfg.FDStep, nil, nil, 0), n: n, m: m, z: make([]float64, n+m)}
	best, bi := math.Inf(1), -1
	for hi, h := range mi.Horizons {
		X, U := rollX[hi], rollU[hi]
		mpc, err := control.NewMPC(w.model, cost, &control.MPCSettings{Plans: mi.Plans, Horizon: h, Iters: mi.Iters,
			Low: t.low, High: t.high, Rng: rand.New(rand.NewPCG(t.cfg.Seed, InitPlanStream+uint64(k)))})
		if err != nil {
			return fmt.Errorf("lggps: model init: %w", err)
		}
		if _, err := w.env.SetState(t.x0[k]); err != nil {
			return fmt.Errorf("lggps: condition %d: %w", k, err)
		}
		var c float64
		for s := range t.T {
			copy(X[s], w.env.State())
			mpc.Act(U[s], X[s])
			t.clip(U[s], U[s])
			c += t.cost.Cost(X[s], U[s])
			w.env.Step(U[s])
		}
		copy(X[t.T], w.env.State())
		if c < best { // NaN never wins
			best, bi = c, hi
		}
	}
	if bi < 0 || best >= t.initCost[k] { // an earlier round's rollout stays
		return nil
	}
	t.initCost[k] = best
	return t.trackingGains(t.ctrl[k], w.model, cost, rollX[bi], rollU[bi])
}

// trackingGains sets ctrl's mean to u_t + K_t (x - x_t) along the
// trajectory X [T+1][n], U [T][m], with K_t the time-varying LQR gains of
// the model's Jacobians and the cost's Hessians along it (a Riccati
// recursion on the deviations; Q_uu gets a ridge of 1e-6 times its trace
// plus 1e-9 for the conditioning).
func (t *Trainer) trackingGains(ctrl *control.LinearGaussianController, lm control.Model, cost *fdCost, X, U [][]float64) error {
	n, m := t.n, t.m
	d := envs.NewCostDerivs(n, m)
	A, B := make([]float64, n*n), make([]float64, n*m)
	V, VA, VB := make([]float64, n*n), make([]float64, n*n), make([]float64, n*m)
	Qxx, Quu, Qux := make([]float64, n*n), make([]float64, m*m), make([]float64, m*n)
	Kt, KQ, inv := make([]float64, m*n), make([]float64, n*n), make([]float64, m*m)
	ch := newChol(m)
	cost.CostDerivs(d, X[t.T], make([]float64, m))
	copy(V, d.Lxx)
	for s := t.T - 1; s >= 0; s-- {
		lm.Jacobians(A, B, X[s], U[s])
		cost.CostDerivs(d, X[s], U[s])
		mul(VA, V, A, n, n, n)
		mul(VB, V, B, n, n, m)
		mulTN(Qxx, A, VA, n, n, n)
		mulTN(Quu, B, VB, n, m, m)
		mulTN(Qux, B, VA, n, m, n)
		var tr float64
		for i := range Qxx {
			Qxx[i] += d.Lxx[i]
		}
		for i := range Qux {
			Qux[i] += d.Lux[i]
		}
		for i := range Quu {
			Quu[i] += d.Luu[i]
		}
		for a := range m {
			tr += Quu[a*m+a]
		}
		for a := range m {
			Quu[a*m+a] += 1e-6*tr + 1e-9
		}
		if !ch.factor(Quu) {
			return fmt.Errorf("lggps: model init: the tracking LQR's Q_uu is not positive definite at step %d", s)
		}
		ch.inverse(inv)
		mul(Kt, inv, Qux, m, m, n)
		for i := range Kt {
			Kt[i] = -Kt[i]
		}
		// V = Qxx + Qux' K (the optimal K makes K'Quu K + K'Qux vanish).
		mulTN(KQ, Qux, Kt, m, n, n)
		for i := range V {
			V[i] = Qxx[i] + KQ[i]
		}
		symmetrize(V, n)
		copy(ctrl.K[s], Kt)
		for a := range m {
			v := U[s][a]
			for j := range n {
				v -= Kt[a*n+j] * X[s][j]
			}
			ctrl.Offset[s][a] = v
		}
	}
	return nil
}
