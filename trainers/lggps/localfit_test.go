package lggps

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mbrl/mbrl/control"
	"github.com/mbrl/mbrl/envs"
)

// pendulumTransition steps the pendulum from x with torque u and writes
// [x; u; x'] (the torque as intended: Step clips it).
func pendulumTransition(t *testing.T, env envs.Env, x []float64, u float64) []float64 {
	t.Helper()
	if _, err := env.SetState(x); err != nil {
		t.Fatal(err)
	}
	env.Step([]float64{u})
	return append(append(append([]float64(nil), x...), u), env.State()...)
}

// The mixture prior keeps the slopes of a tight cloud of samples among
// wide ones. Samples near the pendulum's top spread 1e-3 in angle while
// the swing-up transitions spread over [-4, 4]; the local fit of five
// such samples with the prior must give the true Jacobian there. With the
// mixture regularised relative to all the data (as before), its
// component at the top lost half of its slope in angle and the fit gave
// d theta_dot' / d theta = 0.31-0.46 instead of 0.75.
func TestPriorKeepsTightSlopes(t *testing.T) {
	env, err := envs.Make("pendulum")
	if err != nil {
		t.Fatal(err)
	}
	dyn, _ := envs.DynamicsOf(env)
	rng := rand.New(rand.NewPCG(7, 1))
	var data [][]float64
	for range 1500 { // the swing: anywhere, any torque
		x := []float64{8*rng.Float64() - 4, 16*rng.Float64() - 8}
		data = append(data, pendulumTransition(t, env, x, 4*rng.Float64()-2))
	}
	top := func() []float64 { // near the top, small torques
		x := []float64{1e-3 * rng.NormFloat64(), 1e-2 * rng.NormFloat64()}
		return pendulumTransition(t, env, x, 0.1*rng.NormFloat64())
	}
	for range 2500 {
		data = append(data, top())
	}
	g := FitGMM(data, 16, 10, 1e-6, rand.New(rand.NewPCG(7, 2)))
	pts := [][]float64{top(), top(), top(), top(), top()}
	f := newDynFitter(2, 1, 1, 1e-8, g.Components())
	ld := NewLinearDynamics(2, 1, 1)
	if !f.fit(ld, 0, pts, g) {
		t.Fatal("the fit is singular")
	}
	fx, fu := make([]float64, 4), make([]float64, 2)
	dyn.Jacobians(fx, fu, []float64{0, 0}, []float64{0})
	want := []float64{fx[0], fx[1], fu[0], fx[2], fx[3], fu[1]}
	for i, w := range want {
		if e := math.Abs(ld.F[0][i] - w); e > 0.02*math.Max(1, math.Abs(w)) {
			t.Fatalf("F = %.4g, want the Jacobian %.4g (entry %d off by %.3g)", ld.F[0], want, i, e)
		}
	}
}

// The KL bound can hold a controller in place: after an iteration on the
// pendulum (model init, four conditions), the trajectory step at a large
// dual eta returns, through the fitted dynamics, a controller within a
// tiny KL of the current one. Before the two fixes above and below, the
// state covariance that the forward pass propagated through those
// dynamics grew to 1e30 within 25 steps, so that any change of the gains
// cost a KL of several nats per step even at eta 1e12: the bracketing then
// drove eta to 1e6-1e9 and the controllers barely moved. (The fit used the
// applied actions, constant where the controller saturates, so the prior
// alone set the slope in the action there, while the forward pass plugs
// in the intended action.) Not every fit is that good yet: with one round
// of the model initialisation instead of the default three, condition 3,
// whose controller saturates through most of its swing, still costs 0.6
// nats per step at eta 1e12. Where every sample's torque is clipped, the
// samples' states hardly spread, and the slope in the state still comes
// from the mixture, which is off there.
func TestKLVanishesAtLargeEta(t *testing.T) {
	mk, cost, pol := pendulumSetup(t, 2)
	cfg := DefaultConfig()
	cfg.Conditions, cfg.InitStd, cfg.Seed, cfg.PolicyEpochs, cfg.Workers = 4, 0.05, 2, 5, 1
	cfg.ModelInit = DefaultModelInit()
	cfg.ModelInit.Epochs = 300
	tr, err := New(cfg, mk, cost, pol)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	run(t, tr, 0, 1)
	// The next iteration's samples and fits, the trajectory step at eta
	// 1e12 from the current controllers.
	w := tr.workers[0]
	for k := range tr.K {
		if err := tr.sample(w, k, 1); err != nil {
			t.Fatal(err)
		}
	}
	tr.fitPrior(1)
	s := NewLQG(tr.n, tr.m, tr.T)
	for k := range tr.K {
		for st := range tr.T {
			for i := range tr.N {
				tr.transition(w.pts[i], k, i, st)
			}
			if !w.fit.fit(tr.dyn[k], st, w.pts, tr.gmm) {
				t.Fatalf("condition %d step %d: singular fit", k, st)
			}
		}
		if err := s.old.load(tr.ctrl[k], s.chM); err != nil {
			t.Fatal(err)
		}
		s.prepareKL()
		if !s.backward(s.cand, tr.dyn[k], w.qs, 1e12) {
			t.Fatalf("condition %d: Q_uu not positive definite at eta 1e12", k)
		}
		kl := s.forward(s.cand, tr.dyn[k], tr.x0[k], true) / float64(tr.T)
		t.Logf("condition %d: KL per step at eta 1e12: %.3g", k, kl)
		if !(kl < 1e-3) {
			t.Fatalf("condition %d: KL per step %.3g at eta 1e12, want < 1e-3 (the fitted dynamics amplify every change)", k, kl)
		}
	}
}

// The entropy weight Omega keeps the controllers' noise: with no cost on
// the actions, the backward pass at dual eta returns the old gains and
// offsets with covariance (eta + Omega)/eta times the old one (Omega 0:
// the old covariance; a cost on u then only shrinks it).
func TestMaxEntKeepsNoise(t *testing.T) {
	const n, m, T = 2, 1, 3
	old := control.NewLinearGaussianController(n, m, T)
	dyn := NewLinearDynamics(n, m, T)
	for s := range T {
		old.K[s][0], old.K[s][1], old.Offset[s][0] = -1.5, 0.25, 0.3
		if err := old.SetCov(s, []float64{0.04}); err != nil {
			t.Fatal(err)
		}
		copy(dyn.F[s], []float64{1, 0.1, 0, 0, 1, 0.1})
		dyn.Cov[s][0], dyn.Cov[s][3] = 1e-6, 1e-6
	}
	q := newQuadratic(T, n+m)
	for s := range T {
		q.C[s][0], q.C[s][4] = 1, 1 // a cost on the state only
	}
	for _, c := range []struct{ eta, omega float64 }{{2, 0}, {2, 1}, {0.5, 2}} {
		s := NewLQG(n, m, T)
		s.Omega = c.omega
		if err := s.old.load(old, s.chM); err != nil {
			t.Fatal(err)
		}
		s.prepareKL()
		if !s.backward(s.cand, dyn, q, c.eta) {
			t.Fatal("Q_uu not positive definite")
		}
		// The last step has no future: its action is free of the cost.
		want := 0.04 * (c.eta + c.omega) / c.eta
		st := T - 1
		if got := s.cand.S[st][0]; math.Abs(got-want) > 1e-12 {
			t.Errorf("eta %g omega %g: covariance %g at the last step, want %g", c.eta, c.omega, got, want)
		}
		if math.Abs(s.cand.K[st][0]+1.5) > 1e-12 || math.Abs(s.cand.K[st][1]-0.25) > 1e-12 || math.Abs(s.cand.k[st][0]-0.3) > 1e-12 {
			t.Errorf("eta %g omega %g: gains %v offset %v at the last step, want the old ones", c.eta, c.omega, s.cand.K[st], s.cand.k[st])
		}
	}
}
