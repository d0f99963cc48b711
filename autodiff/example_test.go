package autodiff_test

import (
	"fmt"
	"math"

	"github.com/mbrl/mbrl/autodiff"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func ExampleClipByGlobalNorm() {
	grads := [][]float64{{3, 0}, {4}} // global norm 5
	pre := autodiff.ClipByGlobalNorm(grads, 1)
	fmt.Println(pre, grads, autodiff.GlobalNorm(grads))
	// Output: 5 [[0.6000000000000001 0] [0.8]] 1
}

func ExampleCheckGradient() {
	f := func(x []float64) float64 { return math.Sin(x[0]) * x[1] }
	x := []float64{0.5, 2}
	right := []float64{math.Cos(0.5) * 2, math.Sin(0.5)}
	wrong := []float64{math.Cos(0.5), math.Sin(0.5)}
	fmt.Println(autodiff.CheckGradient(f, right, x, 0) < 1e-9)
	fmt.Printf("%.2f\n", autodiff.CheckGradient(f, wrong, x, 0))
	// Output:
	// true
	// 0.50
}

// GradWRT gives the gradient with respect to an intermediate node: here
// h = tanh(x), L = Σ h², so dL/dh = 2h.
func ExampleGradWRT() {
	g := G.NewGraph()
	x := G.NewVector(g, tensor.Float64, G.WithShape(2), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithBacking([]float64{0.5, -1}))))
	h := G.Must(G.Tanh(x))
	loss := G.Must(G.Sum(G.Must(G.Square(h))))
	grads, err := autodiff.GradWRT(loss, h, x)
	if err != nil {
		panic(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		panic(err)
	}
	dst := make([][]float64, 2)
	if err := autodiff.CopyGrads(dst, grads); err != nil {
		panic(err)
	}
	fmt.Printf("dL/dh = %.4f (2 tanh x = %.4f %.4f)\n", dst[0], 2*math.Tanh(0.5), 2*math.Tanh(-1))
	// Output: dL/dh = [0.9242 -1.5232] (2 tanh x = 0.9242 -1.5232)
}
