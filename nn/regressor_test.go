package nn

import (
	"encoding/json"
	"errors"
	"math"
	"runtime"
	"testing"

	"github.com/mbrl/mbrl/autodiff"
	"github.com/mbrl/mbrl/internal/cputime"
)

func sinData(n int, seed uint64) (x, y []float64) {
	rng := newRNG(seed)
	x, y = make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = (2*rng.Float64() - 1) * math.Pi
		y[i] = math.Sin(x[i])
	}
	return x, y
}

func TestRegressorLearnsSin(t *testing.T) {
	x, y := sinData(512, 1)
	m := NewMLP("net", []int{1, 32, 32, 1}, Tanh, newRNG(2))
	r, err := NewRegressor(m, 1, 1, RegressorConfig{Batch: 64, Adam: Adam{LR: 1e-2}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	res, err := r.Fit(x, y, 512, 150, newRNG(3), 0.1, 20)
	if err != nil {
		t.Fatal(err)
	}
	// A 1-32-32-1 tanh net fits sin on [-π, π] to about 2e-4 MSE in this
	// budget (the run is deterministic); 2e-3 only flags real regressions.
	if res.BestValLoss > 2e-3 {
		t.Fatalf("validation MSE %g after %d epochs (train %g)", res.BestValLoss, res.Epochs, res.TrainLoss[len(res.TrainLoss)-1])
	}
	// The kept weights are the best epoch's: re-evaluating gives the
	// recorded validation loss on the fast path too.
	xt, yt := sinData(200, 9)
	pred := make([]float64, 200)
	m.ForwardBatch(pred, xt, 200)
	var mse float64
	for i := range pred {
		mse += (pred[i] - yt[i]) * (pred[i] - yt[i]) / 200
	}
	if mse > 5e-3 {
		t.Fatalf("test MSE %g", mse)
	}
	t.Logf("epochs %d best %d val %.3g test %.3g", res.Epochs, res.BestEpoch, res.BestValLoss, mse)
}

func TestRegressorDeterministic(t *testing.T) {
	x, y := sinData(300, 4)
	train := func() []*Param {
		m := NewMLP("net", []int{1, 16, 1}, Tanh, newRNG(5))
		r, err := NewRegressor(m, 1, 1, RegressorConfig{Batch: 32})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if _, err := r.Fit(x, y, 300, 5, newRNG(6), 0.2, 0); err != nil {
			t.Fatal(err)
		}
		return m.Params()
	}
	a, b := train(), train()
	for k := range a {
		for j := range a[k].Data() {
			if a[k].Data()[j] != b[k].Data()[j] {
				t.Fatalf("%s[%d] differs between identical runs", a[k].Name, j)
			}
		}
	}
}

// TestRegressorResume checks that weights + Adam state (through JSON)
// continue training bit-identically in a new Regressor.
func TestRegressorResume(t *testing.T) {
	x, y := sinData(64, 8)
	m := NewMLP("net", []int{1, 8, 1}, Tanh, newRNG(1))
	r, err := NewRegressor(m, 1, 1, RegressorConfig{Batch: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	step := func(r *Regressor, s int) {
		o := (s % 4) * 16
		if _, err := r.Step(x[o:o+16], y[o:o+16]); err != nil {
			t.Fatal(err)
		}
	}
	for s := range 3 {
		step(r, s)
	}
	blob, _ := json.Marshal(r.Optimizer().State())
	m2 := m.Clone()
	for s := 3; s < 8; s++ {
		step(r, s)
	}
	r2, err := NewRegressor(m2, 1, 1, RegressorConfig{Batch: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	var st AdamState
	if err := json.Unmarshal(blob, &st); err != nil {
		t.Fatal(err)
	}
	if err := r2.Optimizer().SetState(st); err != nil {
		t.Fatal(err)
	}
	for s := 3; s < 8; s++ {
		step(r2, s)
	}
	for k, p := range m.Params() {
		for j, v := range p.Data() {
			if v != m2.Params()[k].Data()[j] {
				t.Fatalf("%s[%d] differs after resume", p.Name, j)
			}
		}
	}
}

func TestRegressorNonFinite(t *testing.T) {
	cases := []struct {
		name string
		x, y []float64
	}{
		{"NaN input", []float64{math.NaN(), 0, 1, 2}, []float64{0, 0, 0, 0}},
		{"Inf target", []float64{0, 1, 2, 3}, []float64{0, math.Inf(1), 0, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMLP("net", []int{1, 4, 1}, Tanh, newRNG(1))
			before := m.Clone()
			r, err := NewRegressor(m, 1, 1, RegressorConfig{Batch: 4})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if _, err := r.Step(tc.x, tc.y); !errors.Is(err, ErrNonFinite) {
				t.Fatalf("Step error %v, want ErrNonFinite", err)
			}
			for k, p := range m.Params() {
				for j, v := range p.Data() {
					if v != before.Params()[k].Data()[j] {
						t.Fatal("weights changed by a failed step")
					}
				}
			}
			if _, err := r.Fit(tc.x, tc.y, 4, 2, newRNG(1), 0, 0); !errors.Is(err, ErrNonFinite) {
				t.Fatalf("Fit error %v, want ErrNonFinite", err)
			}
		})
	}
}

// TestRegressorWeighted checks that unit weights give the unweighted loss
// and that zero weights on half the batch halve it.
func TestRegressorWeighted(t *testing.T) {
	x := []float64{0.1, 0.5, -0.3, 0.9}
	y := []float64{1, -1, 0.5, 2}
	loss := func(w []float64, weighted bool) float64 {
		m := NewMLP("net", []int{1, 4, 1}, Tanh, newRNG(1))
		r, err := NewRegressor(m, 1, 1, RegressorConfig{Batch: 4, Weighted: weighted})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var l float64
		if w == nil {
			l, err = r.Step(x, y)
		} else {
			l, err = r.StepWeighted(x, y, w)
		}
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	plain := loss(nil, false)
	if d := math.Abs(loss([]float64{1, 1, 1, 1}, true) - plain); d > 1e-15 {
		t.Errorf("unit weights differ from unweighted loss by %g", d)
	}
	m := NewMLP("net", []int{1, 4, 1}, Tanh, newRNG(1))
	pred := make([]float64, 4)
	m.ForwardBatch(pred, x, 4)
	want := ((pred[0]-y[0])*(pred[0]-y[0]) + 2*(pred[2]-y[2])*(pred[2]-y[2])) / 4
	if d := math.Abs(loss([]float64{1, 0, 2, 0}, true) - want); d > 1e-15 {
		t.Errorf("weighted loss off by %g", d)
	}
}

func TestRegressorPredictPartialBatch(t *testing.T) {
	m := NewMLP("net", []int{2, 6, 3}, Tanh, newRNG(1))
	r, err := NewRegressor(m, 2, 3, RegressorConfig{Batch: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	x := randSlice(newRNG(2), 2*7, 1)
	got, want := make([]float64, 21), make([]float64, 21)
	if err := r.Predict(got, x, 7); err != nil {
		t.Fatal(err)
	}
	m.ForwardBatch(want, x, 7)
	if d := maxAbsDiff(got, want); d > graphTol {
		t.Fatalf("Predict differs from ForwardBatch by %g", d)
	}
}

func TestRegressorSmallDatasetWraps(t *testing.T) {
	x, y := sinData(5, 3) // fewer rows than one batch
	m := NewMLP("net", []int{1, 4, 1}, Tanh, newRNG(1))
	r, err := NewRegressor(m, 1, 1, RegressorConfig{Batch: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	res, err := r.Fit(x, y, 5, 3, newRNG(1), 0.2, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 3 || len(res.ValLoss) != 3 {
		t.Fatalf("steps %d, val losses %d", res.Steps, len(res.ValLoss))
	}
}

// BenchmarkRegressorStep times one training step of a pendulum dynamics
// sized MLP (4-64-64-3 tanh) at batch 256.
func BenchmarkRegressorStep(b *testing.B) {
	const bs = 256
	m := NewMLP("dynamics", []int{4, 64, 64, 3}, Tanh, newRNG(1))
	r, err := NewRegressor(m, 4, 3, RegressorConfig{Batch: bs})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	rng := newRNG(2)
	x, y := randSlice(rng, bs*4, 1), randSlice(rng, bs*3, 1)
	b.ReportAllocs()
	cpu0 := cputime.Now()
	for b.Loop() {
		if _, err := r.Step(x, y); err != nil {
			b.Fatal(err)
		}
	}
	cputime.Report(b, cpu0)
	b.ReportMetric(float64(bs)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

// TestRegressorGradient checks the training graph's gradient of the
// weighted MSE (as used by Step) against central differences.
func TestRegressorGradient(t *testing.T) {
	const bs = 6
	rng := newRNG(12)
	m := NewMLP("net", []int{4, 8, 8, 3}, Tanh, newRNG(13))
	x, y, w := randSlice(rng, bs*4, 1), randSlice(rng, bs*3, 1), []float64{1, 0.5, 2, 0, 1, 3}
	r, err := NewRegressor(m, 4, 3, RegressorConfig{Batch: bs, Weighted: true, Adam: Adam{LR: 1e-12}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	before := m.Clone()
	if _, err := r.StepWeighted(x, y, w); err != nil {
		t.Fatal(err)
	}
	pred := make([]float64, bs*3)
	loss := func([]float64) float64 {
		before.ForwardBatch(pred, x, bs)
		var s float64
		for i := range pred {
			d := pred[i] - y[i]
			s += w[i/3] * d * d
		}
		return s / (bs * 3)
	}
	for k, p := range before.Params() {
		if r.Optimizer().Params()[k].Name != p.Name {
			t.Fatalf("optimiser parameter %d is %s, want %s", k, r.Optimizer().Params()[k].Name, p.Name)
		}
		if e := autodiff.CheckGradient(loss, r.Gradients()[k], p.Data(), 1e-6); e > fdTol {
			t.Errorf("%s: relative error %g", p.Name, e)
		}
	}
}

// TestRegressorShards: a sharded regressor's first loss and gradient equal
// the unsharded one's up to rounding (weighted and not, even and uneven
// splits), and its training gives the same bits on one core and on two.
func TestRegressorShards(t *testing.T) {
	for _, tc := range []struct {
		bs, shards int
		weighted   bool
	}{{16, 2, false}, {16, 2, true}, {15, 4, true}, {9, 3, false}} {
		rng := newRNG(3)
		x, y, w := randSlice(rng, tc.bs*3, 1), randSlice(rng, tc.bs*2, 1), randSlice(rng, tc.bs, 1)
		for i := range w {
			w[i] = 0.5 + w[i]*w[i]
		}
		step := func(shards, procs int) (float64, [][]float64, []float64) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			m := NewMLP("m", []int{3, 8, 2}, Tanh, newRNG(4))
			r, err := NewRegressor(m, 3, 2, RegressorConfig{Batch: tc.bs, Weighted: tc.weighted, Shards: shards})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			run := func() float64 {
				var l float64
				var err error
				if tc.weighted {
					l, err = r.StepWeighted(x, y, w)
				} else {
					l, err = r.Step(x, y)
				}
				if err != nil {
					t.Fatal(err)
				}
				return l
			}
			l := run()
			g := make([][]float64, len(r.Gradients()))
			for i, v := range r.Gradients() {
				g[i] = append([]float64(nil), v...)
			}
			for range 20 {
				run()
			}
			var ws []float64
			for _, p := range m.Params() {
				ws = append(ws, p.Data()...)
			}
			return l, g, ws
		}
		l1, g1, _ := step(1, 1)
		ls, gs, w1 := step(tc.shards, 1)
		_, _, w2 := step(tc.shards, 2)
		if math.Abs(ls-l1) > 1e-12*math.Abs(l1) {
			t.Errorf("%+v: loss %v, unsharded %v", tc, ls, l1)
		}
		for i := range g1 {
			for j := range g1[i] {
				if math.Abs(gs[i][j]-g1[i][j]) > 1e-12*(1+math.Abs(g1[i][j])) {
					t.Fatalf("%+v: gradient %d[%d] %v, unsharded %v", tc, i, j, gs[i][j], g1[i][j])
				}
			}
		}
		for i := range w1 {
			if math.Float64bits(w1[i]) != math.Float64bits(w2[i]) {
				t.Fatalf("%+v: weight %d %v on one core, %v on two", tc, i, w1[i], w2[i])
			}
		}
	}
}

// TestRegressorRunsWithoutGorgonia: the training graphs of the module's
// models (an MLP, a bounded policy, a dynamics model; weighted and not,
// one graph or shards) have a kernel for every op (no op runs through
// Gorgonia's own Do, which allocates), and a training step allocates
// nothing once running.
func TestRegressorRunsWithoutGorgonia(t *testing.T) {
	pol, err := NewDeterministicPolicy("policy", PolicyArch{ObsDim: 3, ActDim: 1, Hidden: []int{16, 16}, Activation: Tanh, Low: []float64{-2}, High: []float64{2}}, newRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := NewDynamicsModel("dynamics", DynamicsArch{ObsDim: 3, ActDim: 1, Hidden: []int{16, 16}, Activation: Tanh}, newRNG(2))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		model   GraphModel
		in, out int
		cfg     RegressorConfig
	}{
		{"mlp", NewMLP("m", []int{4, 16, 3}, Tanh, newRNG(3)), 4, 3, RegressorConfig{Batch: 32}},
		{"mlp relu", NewMLP("m", []int{4, 16, 3}, ReLU, newRNG(3)), 4, 3, RegressorConfig{Batch: 32}},
		{"policy weighted", pol, 3, 1, RegressorConfig{Batch: 32, Weighted: true}},
		{"policy weighted shards", pol, 3, 1, RegressorConfig{Batch: 32, Weighted: true, Shards: 2}},
		{"dynamics", dyn, 4, 3, RegressorConfig{Batch: 32, MaxGradNorm: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewRegressor(tc.model, tc.in, tc.out, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			progs := []*autodiff.Program{r.fwd}
			if r.full != nil {
				progs = append(progs, r.full)
			}
			for _, sh := range r.shards {
				progs = append(progs, sh.prog)
			}
			for _, p := range progs {
				if f := p.Fallbacks(); len(f) != 0 {
					t.Errorf("ops without a kernel: %v", f)
				}
			}
			rng := newRNG(4)
			x, y, w := randSlice(rng, 32*tc.in, 1), randSlice(rng, 32*tc.out, 1), randSlice(rng, 32, 1)
			step := func() {
				var err error
				if tc.cfg.Weighted {
					_, err = r.StepWeighted(x, y, w)
				} else {
					_, err = r.Step(x, y)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			step()
			if a := testing.AllocsPerRun(20, step); a != 0 {
				t.Errorf("a step allocates %v times", a)
			}
		})
	}
}
