package envs

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestPendulumObsCostGraph checks that the graph form of the pendulum's
// cost on observations equals Cost row by row, on the unit circle and off
// it (as a learned model predicts), with the torque inside and outside
// its bounds; the tolerance covers the graph's angle wrap (one rounding
// of th + pi).
func TestPendulumObsCostGraph(t *testing.T) {
	obs := []float64{
		1, 0, 0,
		math.Cos(3), math.Sin(3), -4,
		-0.99, -0.02, 7.5,
		0.3, 1.4, 1, // off the circle
		-2, -0.5, -8,
	}
	u := []float64{0, 1.5, -3, 2.5, -0.7}
	b := len(u)
	g := G.NewGraph()
	on := G.NewMatrix(g, tensor.Float64, G.WithShape(b, 3), G.WithValue(tensor.New(tensor.WithShape(b, 3), tensor.WithBacking(obs))))
	un := G.NewMatrix(g, tensor.Float64, G.WithShape(b, 1), G.WithValue(tensor.New(tensor.WithShape(b, 1), tensor.WithBacking(u))))
	var pc GraphObsCost = PendulumObsCost{GaussNewton: true}
	c, err := pc.GraphCost(on, un)
	if err != nil {
		t.Fatal(err)
	}
	var cv G.Value
	G.Read(c, &cv)
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	got := cv.Data().([]float64)
	for i := range b {
		want := PendulumObsCost{}.Cost(obs[3*i:3*i+3], u[i:i+1])
		if math.Abs(got[i]-want) > 1e-12*math.Max(1, want) {
			t.Errorf("row %d: graph %.17g, Cost %.17g", i, got[i], want)
		}
	}
	if _, err := pc.GraphCost(un, un); err == nil {
		t.Errorf("a [B, 1] observation was accepted")
	}
}

// TestObsCosterOfAndHints checks where the cost on observations comes
// from (the pendulum's dynamics; none for the linear env, whose cost on
// observations is generic) and that the pendulum's initial law on
// observations is its swing-up on the state the observation gives.
func TestObsCosterOfAndHints(t *testing.T) {
	if _, ok := ObsCosterOf(NewPendulum()); !ok {
		t.Errorf("the pendulum has no cost on observations")
	}
	if _, ok := ObsCosterOf(NewLinear(DefaultLinearConfig())); ok {
		t.Errorf("the linear env claims an analytic cost on observations")
	}
	law := PendulumDynamics{}.InitialObsPolicy()
	for _, x := range [][]float64{{3, 0.1}, {-2, 4}, {0.3, -1}, {0, 0}} {
		var obs [3]float64
		PendulumDynamics{}.Obs(obs[:], x)
		var got, want [1]float64
		law(got[:], obs[:])
		var st [2]float64
		PendulumDynamics{}.StateFromObs(st[:], obs[:])
		PendulumSwingUp(want[:], st[:])
		if got != want {
			t.Errorf("x %v: law on observations %v, swing-up %v", x, got, want)
		}
	}
}
