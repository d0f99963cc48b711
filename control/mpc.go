package control

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// MPCSettings configures receding-horizon control over iLQR. The zero value
// of every field means its default.
type MPCSettings struct {
	// Plans is P, the number of candidate plans. P <= 1 (default) keeps a
	// single warm-started plan; P > 1 keeps a population of about P plans:
	// each step the P - len(Fresh) cheapest previous plans, shifted by one
	// step, plus one fresh plan from each generator of Fresh, each improved
	// by Iters iLQR iterations; the first action of the cheapest is applied.
	Plans int
	// Horizon is the planning horizon H (default 20 for P = 1, 50 for P > 1).
	Horizon int
	// Iters is the number of iLQR iterations per plan and step (default 2
	// for P = 1, 3 for P > 1).
	Iters int
	// Fresh are the fresh-candidate generators of population MPC, fewer
	// than Plans (default ZeroPlan, RandomPlan{Hold: 5} and two BangBang
	// plans, as many as fit). At the first step, RandomPlan draws fill the
	// population up to P; afterwards plans that failed or duplicate a
	// cheaper plan are dropped, so the population holds at most P plans.
	Fresh []Generator
	// Low and High bound the controls (nil: unbounded).
	Low, High []float64
	// ILQR are the base iLQR settings; MaxIter is replaced by Iters and the
	// bounds by Low and High.
	ILQR ILQRSettings
	// Rng is the random stream of the generators (default PCG(1, 0)); Reset
	// replaces it.
	Rng *rand.Rand
}

// plan is one candidate control sequence of population MPC.
type plan struct {
	u    [][]float64 // [H][m]
	cost float64
}

// MPC is a receding-horizon controller: at every call of Act it re-plans
// from the given state with iLQR, warm-started from its previous plans
// shifted by one step, and returns the first action. It is a policy on the
// model's state; ObsPolicy wraps it for observations. An MPC is not safe for
// concurrent use: Clone it per goroutine (clones share the Model, Cost and
// generators, which must then be safe for concurrent use).
type MPC struct {
	model Model
	cost  Cost
	s     MPCSettings
	ilqr  *ILQR
	ctx   PlanContext

	plans   []plan // population, cheapest first after each step
	cand    []plan // work: candidates of the current step
	lastErr error
}

// NewMPC returns an MPC over the model and cost.
func NewMPC(model Model, cost Cost, settings *MPCSettings) (*MPC, error) {
	var s MPCSettings
	if settings != nil {
		s = *settings
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	s.fill()
	if s.Plans > 1 && len(s.Fresh) == 0 {
		s.Fresh = []Generator{ZeroPlan{}, RandomPlan{Hold: 5}, BangBang{}, BangBang{}}
		s.Fresh = s.Fresh[:min(len(s.Fresh), s.Plans-1)]
	}
	if len(s.Fresh) >= s.Plans && s.Plans > 1 {
		return nil, fmt.Errorf("control: MPC with %d plans needs fewer than %d fresh generators", s.Plans, len(s.Fresh))
	}
	s.Fresh = slices.Clone(s.Fresh)
	if s.Rng == nil {
		s.Rng = rand.New(rand.NewPCG(1, 0))
	}
	is := s.ILQR
	is.MaxIter = s.Iters
	is.Low, is.High = s.Low, s.High
	il, err := NewILQR(model, cost, s.Horizon, &is)
	if err != nil {
		return nil, fmt.Errorf("control: MPC: %w", err)
	}
	c := &MPC{model: model, cost: cost, s: s, ilqr: il}
	c.s.Low, c.s.High = il.s.Low, il.s.High
	c.ctx = PlanContext{Model: model, Low: c.s.Low, High: c.s.High, Rng: s.Rng}
	m := model.ActionDim()
	newPlan := func() plan {
		back := make([]float64, s.Horizon*m)
		u := make([][]float64, s.Horizon)
		for t := range u {
			u[t] = back[t*m : (t+1)*m : (t+1)*m]
		}
		return plan{u: u}
	}
	c.plans = make([]plan, 0, s.Plans)
	c.cand = make([]plan, s.Plans)
	for i := range c.cand {
		c.cand[i] = newPlan()
	}
	for range s.Plans {
		c.plans = append(c.plans, newPlan())
	}
	c.plans = c.plans[:0]
	return c, nil
}

// Settings returns the effective settings (defaults filled in).
func (c *MPC) Settings() MPCSettings { return c.s }

// Reset forgets the previous plans (the next Act plans from scratch) and,
// if rng is non-nil, makes it the generators' random stream.
func (c *MPC) Reset(rng *rand.Rand) {
	if rng != nil {
		c.s.Rng, c.ctx.Rng = rng, rng
	}
	c.plans = c.plans[:0]
	c.lastErr = nil
}

// Clone returns an independent MPC with the same settings and a copy of the
// current plans; its random stream is the default PCG(1, 0) until Reset
// gives it one. Clone only reads c, so goroutines may clone one prototype
// at the same time (as the worker pools' expert factories do).
func (c *MPC) Clone() *MPC {
	s := c.s
	s.Rng = nil
	d, err := NewMPC(c.model, c.cost, &s)
	if err != nil {
		panic(err) // the settings were valid for c
	}
	d.plans = d.plans[:len(c.plans)]
	for i := range c.plans {
		for t := range c.plans[i].u {
			copy(d.plans[i].u[t], c.plans[i].u[t])
		}
		d.plans[i].cost = c.plans[i].cost
	}
	return d
}

// Err returns the error of the last Act (nil if planning succeeded).
func (c *MPC) Err() error { return c.lastErr }

// Plan returns the current best plan (controls [H][m], the first of which
// was the last action). The slices are the MPC's own.
func (c *MPC) Plan() [][]float64 {
	if len(c.plans) == 0 {
		return nil
	}
	return c.plans[0].u
}

// Act writes the action for state x into dst. If iLQR fails (non-finite
// cost, indefinite Q_uu) the best plan found so far is used and Err reports
// the error.
func (c *MPC) Act(dst, x []float64) {
	c.lastErr = c.Step(dst, x)
}

// Step is Act returning the planning error (dst is written either way).
func (c *MPC) Step(dst, x []float64) error {
	if c.s.Plans <= 1 {
		return c.stepSingle(dst, x)
	}
	return c.stepPopulation(dst, x)
}

// shift moves a plan one step forward, repeating its last control.
func shift(u [][]float64) {
	H := len(u)
	for t := 0; t+1 < H; t++ {
		copy(u[t], u[t+1])
	}
}

// improve runs Iters iLQR iterations on p from x and stores the result in p.
func (c *MPC) improve(p *plan, x []float64) error {
	sol, err := c.ilqr.Solve(x, p.u)
	if sol != nil {
		for t := range p.u {
			copy(p.u[t], sol.U[t])
		}
		p.cost = sol.Cost
	} else {
		p.cost = math.Inf(1)
	}
	return err
}

func (c *MPC) stepSingle(dst, x []float64) error {
	if len(c.plans) == 0 {
		c.plans = c.plans[:1]
		for _, ut := range c.plans[0].u {
			clear(ut)
		}
	} else {
		shift(c.plans[0].u)
	}
	err := c.improve(&c.plans[0], x)
	copy(dst, c.plans[0].u[0])
	c.ilqr.clip(dst)
	return err
}

func (c *MPC) stepPopulation(dst, x []float64) error {
	P, nf := c.s.Plans, len(c.s.Fresh)
	// Candidates: shifted previous plans (cheapest first), then fresh plans;
	// at the first step random plans fill the population up to P.
	k := 0
	first := len(c.plans) == 0
	for i := 0; i < len(c.plans) && k < P-nf; i++ {
		cu, pu := c.cand[k].u, c.plans[i].u
		for t := range cu {
			copy(cu[t], pu[t])
		}
		shift(cu)
		k++
	}
	for _, g := range c.s.Fresh {
		g.Generate(c.cand[k].u, x, &c.ctx)
		k++
	}
	for ; first && k < P; k++ {
		RandomPlan{Hold: 5}.Generate(c.cand[k].u, x, &c.ctx)
	}
	cand := c.cand[:k]
	var firstErr error
	for i := range cand {
		if err := c.improve(&cand[i], x); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	// Sort by cost (insertion sort of the plan headers), then drop failed
	// plans and duplicates (plans that converged to the same trajectory),
	// so that work is not repeated on them.
	for i := 1; i < len(cand); i++ {
		for j := i; j > 0 && cand[j].cost < cand[j-1].cost; j-- {
			cand[j], cand[j-1] = cand[j-1], cand[j]
		}
	}
	kept := 0
	for i := range cand {
		if math.IsInf(cand[i].cost, 0) || math.IsNaN(cand[i].cost) {
			break
		}
		if kept > 0 && samePlan(&cand[kept-1], &cand[i]) {
			continue
		}
		cand[kept], cand[i] = cand[i], cand[kept]
		kept++
	}
	// The kept candidates become the population; the old plan buffers
	// become the next step's candidates.
	c.plans = c.plans[:P]
	c.plans, c.cand = c.cand, c.plans
	c.plans = c.plans[:kept]
	if kept == 0 {
		clear(dst)
		c.ilqr.clip(dst)
		return fmt.Errorf("control: MPC: every plan failed: %w", firstErr)
	}
	copy(dst, c.plans[0].u[0])
	c.ilqr.clip(dst)
	return firstErr
}

// samePlan reports whether two plans are the same to within 1e-9 relative
// cost and 1e-6 in every control.
func samePlan(a, b *plan) bool {
	if math.Abs(a.cost-b.cost) > 1e-9*math.Max(1, math.Abs(a.cost)) {
		return false
	}
	for t := range a.u {
		for i, v := range a.u[t] {
			if math.Abs(v-b.u[t][i]) > 1e-6 {
				return false
			}
		}
	}
	return true
}

// StateDecoder maps an observation to the model's state;
// envs.Dynamics.StateFromObs has this form.
type StateDecoder interface {
	StateFromObs(dst, obs []float64)
}

// ObsMPC is an MPC acting on observations: Act decodes the state with the
// decoder and plans from it. Like MPC it is not safe for concurrent use;
// Clone it per goroutine.
type ObsMPC struct {
	*MPC
	dec StateDecoder
	x   []float64
}

// ObsPolicy wraps c for observations decoded by dec (an envs.Dynamics).
func (c *MPC) ObsPolicy(dec StateDecoder) *ObsMPC {
	return &ObsMPC{MPC: c, dec: dec, x: make([]float64, c.model.StateDim())}
}

// Act writes the action for observation obs into dst.
func (o *ObsMPC) Act(dst, obs []float64) {
	o.dec.StateFromObs(o.x, obs)
	o.MPC.Act(dst, o.x)
}

// Clone returns an independent copy (see MPC.Clone).
func (o *ObsMPC) Clone() *ObsMPC { return o.MPC.Clone().ObsPolicy(o.dec) }
