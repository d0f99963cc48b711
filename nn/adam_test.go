package nn

import (
	"encoding/json"
	"math"
	"testing"
)

// TestAdamTwoSteps checks two updates against values computed by hand
// from Kingma & Ba's Algorithm 1 (PyTorch form), LR 0.1, default betas.
func TestAdamTwoSteps(t *testing.T) {
	p := newParam("p", 2)
	copy(p.Data(), []float64{1, -2})
	a := NewAdam(Adam{LR: 0.1}, []*Param{p})
	a.Step([][]float64{{0.5, -1}})
	// Step 1: m = 0.1 g, v = 0.001 g², bias corrections 0.1 and 0.001, so
	// the update is LR·g/(|g| + eps).
	want1 := []float64{1 - 0.1*0.5/(0.5+1e-8), -2 + 0.1*1/(1+1e-8)}
	for i := range want1 {
		if math.Abs(p.Data()[i]-want1[i]) > 1e-15 {
			t.Fatalf("step 1: p[%d] = %.17g, want %.17g", i, p.Data()[i], want1[i])
		}
	}
	a.Step([][]float64{{0.1, 0.2}})
	// Step 2: m = [0.055, -0.07], v = [0.00025975, 0.001039],
	// 1-β1² = 0.19, 1-β2² = 0.001999.
	want2 := []float64{
		want1[0] - 0.1/0.19*0.055/(math.Sqrt(0.00025975)/math.Sqrt(0.001999)+1e-8),
		want1[1] - 0.1/0.19*-0.07/(math.Sqrt(0.001039)/math.Sqrt(0.001999)+1e-8),
	}
	for i := range want2 {
		if math.Abs(p.Data()[i]-want2[i]) > 1e-14 {
			t.Fatalf("step 2: p[%d] = %.17g, want %.17g", i, p.Data()[i], want2[i])
		}
	}
	if a.Steps() != 2 {
		t.Fatalf("Steps() = %d", a.Steps())
	}
}

func TestAdamDefaults(t *testing.T) {
	a := NewAdam(Adam{}, nil)
	if a.LR != 1e-3 || a.Beta1 != 0.9 || a.Beta2 != 0.999 || a.Eps != 1e-8 {
		t.Fatalf("defaults: %+v", *a)
	}
}

// TestAdamStateRoundTrip saves the state through JSON mid-run and checks
// that a fresh optimiser continues bit-identically.
func TestAdamStateRoundTrip(t *testing.T) {
	rng := newRNG(3)
	m := NewMLP("net", []int{3, 5, 2}, Tanh, rng)
	grads := make([][][]float64, 6)
	for s := range grads {
		for _, p := range m.Params() {
			grads[s] = append(grads[s], randSlice(rng, len(p.Data()), 1))
		}
	}
	a := NewAdam(Adam{LR: 0.01}, m.Params())
	for s := range 3 {
		a.Step(grads[s])
	}
	blob, err := json.Marshal(a.State())
	if err != nil {
		t.Fatal(err)
	}
	m2 := m.Clone()
	for s := 3; s < 6; s++ {
		a.Step(grads[s])
	}
	var st AdamState
	if err := json.Unmarshal(blob, &st); err != nil {
		t.Fatal(err)
	}
	b := NewAdam(Adam{LR: 0.01}, m2.Params())
	if err := b.SetState(st); err != nil {
		t.Fatal(err)
	}
	for s := 3; s < 6; s++ {
		b.Step(grads[s])
	}
	for k, p := range m.Params() {
		for j, v := range p.Data() {
			if v != m2.Params()[k].Data()[j] {
				t.Fatalf("%s[%d]: %v after resume, want %v", p.Name, j, m2.Params()[k].Data()[j], v)
			}
		}
	}
}

func TestAdamSetStateErrors(t *testing.T) {
	m := NewMLP("net", []int{2, 3, 1}, Tanh, newRNG(1))
	a := NewAdam(Adam{}, m.Params())
	good := a.State()
	cases := []struct {
		name string
		mod  func(s *AdamState)
	}{
		{"too few", func(s *AdamState) { s.M = s.M[:1] }},
		{"wrong name", func(s *AdamState) { s.Names[0] = "other" }},
		{"wrong size", func(s *AdamState) { s.V[1] = s.V[1][:1] }},
		{"negative step", func(s *AdamState) { s.Step = -1 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s AdamState
			blob, _ := json.Marshal(good)
			_ = json.Unmarshal(blob, &s)
			tc.mod(&s)
			if err := a.SetState(s); err == nil {
				t.Fatal("SetState accepted a bad state")
			}
		})
	}
}
