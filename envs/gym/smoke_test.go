package gym

import (
	"math/rand/v2"
	"testing"
)

func TestSmoke(t *testing.T) {
	py := testPython(t)
	e, err := New("Pendulum-v1", Options{Python: py})
	if err != nil {
		t.Fatal(err)
	}
	defer e.(interface{ Close() error }).Close()
	rng := rand.New(rand.NewPCG(1, 2))
	t.Log(e.ObservationSpace(), e.ActionSpace(), e.MaxSteps(), e.Reset(rng))
	for i := 0; i < 3; i++ {
		o, r, te, tr := e.Step([]float64{1})
		t.Log(o, r, te, tr)
	}
}
