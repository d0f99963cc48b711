package compare_test

import (
	"fmt"

	"github.com/mbrl/mbrl/trainers/compare"
)

func ExampleParseMethods() {
	specs, err := compare.ParseMethods("bptt,dagger:plans=16:iters=2,dyna:planning-steps=0")
	if err != nil {
		panic(err)
	}
	for _, sp := range specs {
		fmt.Println(sp.Method, sp.Args(), sp.DirName())
	}
	// Output:
	// bptt [] bptt
	// dagger [--plans=16 --iters=2] dagger_plans=16_iters=2
	// dyna [--planning-steps=0] dyna_planning-steps=0
}

func ExampleParseSeeds() {
	seeds, _ := compare.ParseSeeds("1-3,8")
	fmt.Println(seeds, compare.FormatSeeds(seeds))
	// Output: [1 2 3 8] 1-3,8
}

func ExampleIQM() {
	// BPTT on five seeds: two never swing up. The IQM drops the best and
	// the worst seed and averages the middle three.
	returns := []float64{-148.6, -772.2, -763.6, -139.8, -140.6}
	fmt.Printf("mean %.1f  median %.1f  IQM %.1f\n", compare.Mean(returns), compare.Median(returns), compare.IQM(returns))
	ci := compare.BootstrapCI([][]float64{returns}, compare.IQM, compare.BootstrapConfig{Seed: 1})
	fmt.Println(ci.Lo <= compare.IQM(returns) && compare.IQM(returns) <= ci.Hi)
	// Output:
	// mean -393.0  median -148.6  IQM -350.9
	// true
}
