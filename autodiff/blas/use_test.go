package blas

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
)

// TestDgemmConcurrent runs the same products from several goroutines on
// one Implementation: each result has the bits of a single-goroutine run.
func TestDgemmConcurrent(t *testing.T) {
	impl := New()
	rng := rand.New(rand.NewPCG(9, 9))
	shapes := [][3]int{{256, 64, 64}, {64, 64, 256}, {32, 64, 3}, {97, 130, 300}}
	type job struct {
		m, n, k int
		a, b    []float64
		want    []float64
	}
	var jobs []job
	for _, s := range shapes {
		j := job{m: s[0], n: s[1], k: s[2]}
		j.a, j.b = make([]float64, j.m*j.k), make([]float64, j.k*j.n)
		for i := range j.a {
			j.a[i] = rng.NormFloat64()
		}
		for i := range j.b {
			j.b[i] = rng.NormFloat64()
		}
		j.want = make([]float64, j.m*j.n)
		impl.Dgemm(gblas.NoTrans, gblas.NoTrans, j.m, j.n, j.k, 1, j.a, j.k, j.b, j.n, 0, j.want, j.n)
		jobs = append(jobs, j)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 8 {
		wg.Go(func() {
			for r := range 20 {
				j := jobs[(g+r)%len(jobs)]
				c := make([]float64, j.m*j.n)
				impl.Dgemm(gblas.NoTrans, gblas.NoTrans, j.m, j.n, j.k, 1, j.a, j.k, j.b, j.n, 0, c, j.n)
				for i := range c {
					if math.Float64bits(c[i]) != math.Float64bits(j.want[i]) {
						errs <- "concurrent result differs"
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

// TestUse trains nothing but runs the forward and backward pass of a
// 4-64-64-3 tanh MLP at batch 256 with gonum's BLAS and with Use: the loss
// and the gradients agree to rounding (relative 1e-12 of their scale).
func TestUse(t *testing.T) {
	defer G.Use(gonum.Implementation{})
	run := func() (float64, [][]float64) {
		rng := rand.New(rand.NewPCG(5, 5))
		g := G.NewGraph()
		x := G.NewMatrix(g, G.Float64, G.WithShape(256, 4), G.WithName("x"), G.WithValue(randDense(rng, 256, 4)))
		y := G.NewMatrix(g, G.Float64, G.WithShape(256, 3), G.WithName("y"), G.WithValue(randDense(rng, 256, 3)))
		sizes := []int{4, 64, 64, 3}
		var params G.Nodes
		h := x
		for l := range 3 {
			w := G.NewMatrix(g, G.Float64, G.WithShape(sizes[l], sizes[l+1]), G.WithValue(randDense(rng, sizes[l], sizes[l+1])))
			for i := range w.Value().Data().([]float64) {
				w.Value().Data().([]float64)[i] *= 0.1
			}
			params = append(params, w)
			h = G.Must(G.Mul(h, w))
			if l < 2 {
				h = G.Must(G.Tanh(h))
			}
		}
		loss := G.Must(G.Mean(G.Must(G.Square(G.Must(G.Sub(h, y))))))
		grads, err := G.Grad(loss, params...)
		if err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g)
		defer vm.Close()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		var gs [][]float64
		for _, gr := range grads {
			gs = append(gs, append([]float64(nil), gr.Value().Data().([]float64)...))
		}
		return loss.Value().Data().(float64), gs
	}
	G.Use(gonum.Implementation{})
	loss0, grads0 := run()
	if impl := Use(); G.WhichBLAS() != G.BLAS(impl) {
		t.Fatal("Use did not install the Implementation")
	}
	loss1, grads1 := run()
	if math.Abs(loss1-loss0) > 1e-12*math.Abs(loss0) {
		t.Errorf("loss %v with Use, %v with gonum", loss1, loss0)
	}
	for l := range grads0 {
		scale := 0.0
		for _, v := range grads0[l] {
			scale = max(scale, math.Abs(v))
		}
		for i := range grads0[l] {
			if d := math.Abs(grads1[l][i] - grads0[l][i]); d > 1e-12*scale {
				t.Fatalf("grad %d[%d]: %v with Use, %v with gonum", l, i, grads1[l][i], grads0[l][i])
			}
		}
	}
}
