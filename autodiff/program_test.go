package autodiff

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// programCase builds a graph (inputs bound, gradients added) and returns
// the nodes whose values are compared, and the input buffers to refill.
type programCase struct {
	name  string
	build func(t *testing.T, g *G.ExprGraph, rng *rand.Rand) (G.Nodes, [][]float64)
}

func input(g *G.ExprGraph, name string, rng *rand.Rand, shape ...int) (*G.Node, []float64) {
	n := 1
	for _, s := range shape {
		n *= s
	}
	d := make([]float64, n)
	for i := range d {
		d[i] = rng.NormFloat64()
	}
	v := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d))
	if len(shape) == 1 {
		return G.NewVector(g, G.Float64, G.WithShape(shape...), G.WithName(name), G.WithValue(v)), d
	}
	return G.NewMatrix(g, G.Float64, G.WithShape(shape...), G.WithName(name), G.WithValue(v)), d
}

func must(t *testing.T, n *G.Node, err error) *G.Node {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func programCases() []programCase {
	return []programCase{
		{"mlp-mse", func(t *testing.T, g *G.ExprGraph, rng *rand.Rand) (G.Nodes, [][]float64) {
			x, xd := input(g, "x", rng, 16, 4)
			y, yd := input(g, "y", rng, 16, 3)
			w1, _ := input(g, "w1", rng, 4, 8)
			b1, _ := input(g, "b1", rng, 8)
			w2, _ := input(g, "w2", rng, 8, 3)
			h := G.Must(G.Mul(x, w1))
			h = G.Must(G.BroadcastAdd(h, b1, nil, []byte{0}))
			h = G.Must(G.Tanh(h))
			o := G.Must(G.Mul(h, w2))
			d := G.Must(G.Sub(o, y))
			loss := G.Must(G.Mean(G.Must(G.Square(d))))
			grads, err := G.Grad(loss, w1, b1, w2)
			if err != nil {
				t.Fatal(err)
			}
			return append(G.Nodes{loss, o, h}, grads...), [][]float64{xd, yd}
		}},
		{"slices-concat-transpose", func(t *testing.T, g *G.ExprGraph, rng *rand.Rand) (G.Nodes, [][]float64) {
			x, xd := input(g, "x", rng, 6, 4)
			w, _ := input(g, "w", rng, 4, 4)
			a := G.Must(G.Slice(x, nil, G.S(0, 2)))
			b := G.Must(G.Slice(x, nil, G.S(2, 4)))
			c := G.Must(G.Concat(1, b, a))
			tr := G.Must(G.Transpose(c))
			p := G.Must(G.Mul(tr, x)) // 4x6 · 6x4
			q := G.Must(G.Mul(p, w))
			r := G.Must(G.Sum(G.Must(G.HadamardProd(q, q)), 1))
			s := G.Must(G.Sum(r))
			grads, err := G.Grad(s, x, w)
			if err != nil {
				t.Fatal(err)
			}
			return append(G.Nodes{s, r, tr, c}, grads...), [][]float64{xd}
		}},
		{"unary-scalar-custom", func(t *testing.T, g *G.ExprGraph, rng *rand.Rand) (G.Nodes, [][]float64) {
			x, xd := input(g, "x", rng, 8, 2)
			v, vd := input(g, "v", rng, 8)
			th := G.Must(G.Slice(x, nil, G.S(0)))
			om := G.Must(G.Slice(x, nil, G.S(1)))
			s := G.Must(G.Sin(th))
			c := G.Must(G.Cos(om))
			at := G.Must(Atan2(s, c))
			cl := G.Must(Clamp(om, -0.5, 0.5))
			wr := G.Must(WrapAngle(G.Must(G.Mul(at, G.NewConstant(3.0)))))
			sg := G.Must(G.Sigmoid(v)) // no kernel: Gorgonia's own Do
			e := G.Must(G.Exp(G.Must(G.Neg(cl))))
			m := G.Must(G.Sub(G.NewConstant(1.0), G.Must(G.Div(wr, G.Must(G.Add(e, G.NewConstant(2.0)))))))
			mv := G.Must(G.Mul(x, G.Must(G.Slice(x, G.S(0, 2), nil)))) // 8x2 · 2x2
			mvv := G.Must(G.Mul(mv, G.Must(G.Slice(v, G.S(0, 2)))))    // matrix × vector
			o := G.Must(G.OuterProd(sg, mvv))
			r := G.Must(G.Rectify(G.Must(G.Sub(G.Must(G.Abs(m)), G.NewConstant(0.3)))))
			cmp := G.Must(G.Gte(m, G.Must(G.Mul(G.Must(G.Slice(x, nil, G.S(0))), G.NewConstant(0.1))), true))
			loss := G.Must(G.Add(G.Must(G.Sum(G.Must(G.HadamardProd(G.Must(G.Add(m, r)), sg)))), G.Must(G.Sum(o))))
			loss = G.Must(G.Add(loss, G.Must(G.Sum(G.Must(G.HadamardProd(cmp, m))))))
			grads, err := G.Grad(loss, x, v)
			if err != nil {
				t.Fatal(err)
			}
			return append(G.Nodes{loss, m, o, mvv}, grads...), [][]float64{xd, vd}
		}},
	}
}

func TestProgramMatchesTape(t *testing.T) {
	for _, tc := range programCases() {
		t.Run(tc.name, func(t *testing.T) {
			// Two copies of the graph: one run by the tape machine, one by
			// the Program, on the same inputs.
			rngT, rngP := rand.New(rand.NewPCG(1, 2)), rand.New(rand.NewPCG(1, 2))
			gT, gP := G.NewGraph(), G.NewGraph()
			outT, inT := tc.build(t, gT, rngT)
			outP, inP := tc.build(t, gP, rngP)
			// The tape machine reuses registers, so its node values are
			// read as they are computed.
			reads := make([]G.Value, len(outT))
			for k, n := range outT {
				G.Read(n, &reads[k])
			}
			vm := G.NewTapeMachine(gT)
			defer vm.Close()
			p, err := Compile(outP...)
			if err != nil {
				t.Fatal(err)
			}
			fill := rand.New(rand.NewPCG(3, 4))
			for round := range 3 {
				for i := range inT {
					for j := range inT[i] {
						v := fill.NormFloat64()
						inT[i][j], inP[i][j] = v, v
					}
				}
				if err := vm.RunAll(); err != nil {
					t.Fatal(err)
				}
				if err := p.Run(); err != nil {
					t.Fatal(err)
				}
				for k, n := range outT {
					want, err := valueFloats(reads[k])
					if err != nil {
						t.Fatalf("node %v: %v", n, err)
					}
					got := p.Data(outP[k])
					if len(got) != len(want) {
						t.Fatalf("round %d node %v: %d values, want %d", round, outP[k], len(got), len(want))
					}
					for j := range want {
						if math.Float64bits(got[j]) != math.Float64bits(want[j]) {
							t.Fatalf("round %d node %v [%d]: %v, tape machine %v", round, outP[k], j, got[j], want[j])
						}
					}
				}
				vm.Reset()
			}
		})
	}
}

func TestProgramRunDoesNotAllocate(t *testing.T) {
	// Every op of the cases has a kernel except the sigmoid of
	// unary-scalar-custom (run by Gorgonia's Do, which allocates).
	for _, tc := range programCases() {
		t.Run(tc.name, func(t *testing.T) {
			g := G.NewGraph()
			out, _ := tc.build(t, g, rand.New(rand.NewPCG(1, 2)))
			p, err := Compile(out...)
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			if tc.name == "unary-scalar-custom" {
				want = 2 // sigmoid and its derivative's sigmoid
			}
			if f := p.Fallbacks(); len(f) != want {
				t.Fatalf("ops without a kernel: %v", f)
			}
			if want > 0 {
				return
			}
			if a := testing.AllocsPerRun(20, func() {
				if err := p.Run(); err != nil {
					t.Fatal(err)
				}
			}); a != 0 {
				t.Errorf("Run allocates %v times", a)
			}
		})
	}
}

// TestProgramParallelBitIdentical: with Parallel, on two cores, every
// output of a graph whose ops are large enough to split (a 256-row
// minibatch through 64-wide tanh layers and its gradients) has the bits
// of the serial run, over many runs (the helper takes some halves and
// leaves others to the caller).
func TestProgramParallelBitIdentical(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	build := func() (*Program, G.Nodes, [][]float64) {
		rng := rand.New(rand.NewPCG(5, 6))
		g := G.NewGraph()
		x, xd := input(g, "x", rng, 256, 4)
		y, yd := input(g, "y", rng, 256, 3)
		w1, _ := input(g, "w1", rng, 4, 64)
		b1, _ := input(g, "b1", rng, 64)
		w2, _ := input(g, "w2", rng, 64, 64)
		w3, _ := input(g, "w3", rng, 64, 3)
		h := G.Must(G.Tanh(G.Must(G.BroadcastAdd(G.Must(G.Mul(x, w1)), b1, nil, []byte{0}))))
		h = G.Must(G.Tanh(G.Must(G.Mul(h, w2))))
		o := G.Must(G.Mul(h, w3))
		rows := G.Must(G.Sum(G.Must(G.Square(G.Must(G.Sub(o, y)))), 1))
		loss := G.Must(G.Mean(rows))
		grads, err := G.Grad(loss, w1, b1, w2, w3)
		if err != nil {
			t.Fatal(err)
		}
		out := append(G.Nodes{loss, o, h, rows}, grads...)
		p, err := Compile(out...)
		if err != nil {
			t.Fatal(err)
		}
		return p, out, [][]float64{xd, yd}
	}
	ser, outS, inS := build()
	par, outP, inP := build()
	par.Parallel()
	defer par.Close()
	if par.pool == nil {
		t.Fatal("no op of the graph splits")
	}
	// Half the rounds hand every second half to the helper (so that the
	// test runs the splits on two goroutines however loaded the machine
	// is); the others run as in production (the caller takes back the
	// halves the helper has not taken).
	fill := rand.New(rand.NewPCG(8, 9))
	for round := range 50 {
		par.pool.handOff = round%2 == 0
		for i := range inS {
			for j := range inS[i] {
				v := fill.NormFloat64()
				inS[i][j], inP[i][j] = v, v
			}
		}
		if err := ser.Run(); err != nil {
			t.Fatal(err)
		}
		if err := par.Run(); err != nil {
			t.Fatal(err)
		}
		for k := range outS {
			a, b := ser.Data(outS[k]), par.Data(outP[k])
			for j := range a {
				if math.Float64bits(a[j]) != math.Float64bits(b[j]) {
					t.Fatalf("round %d node %v [%d]: parallel %v, serial %v", round, outP[k], j, b[j], a[j])
				}
			}
		}
	}
	if par.pool.taken.Load() == 0 {
		t.Error("the helper computed no half: nothing ran in parallel")
	}
}

// TestHelperStopsWhenDropped: a Helper (and a Parallel Program) that is
// closed twice, or dropped without Close, stops its goroutine.
func TestHelperStopsWhenDropped(t *testing.T) {
	base := runtime.NumGoroutine()
	h := NewHelper()
	h.Close()
	h.Close() // a second Close does nothing
	for range 3 {
		NewHelper() // dropped
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		t.Errorf("%d goroutines left running, %d before", n, base)
	}
}
