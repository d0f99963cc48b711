package nn

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"

	G "gorgonia.org/gorgonia"
)

func TestZZOps(t *testing.T) {
	m := NewMLP("dynamics", []int{4, 64, 64, 3}, Tanh, rand.New(rand.NewPCG(1, 0xda7a)))
	r, err := NewRegressor(m, 4, 3, RegressorConfig{Batch: 256})
	if err != nil {
		t.Fatal(err)
	}
	cnt := map[string]int{}
	sorted, _ := G.Sort(r.loss.Graph())
	for _, n := range sorted {
		if n.Op() == nil {
			cnt["<input>"]++
			continue
		}
		k := reflect.TypeOf(n.Op()).String() + " " + n.Op().String()
		cnt[k]++
	}
	var ks []string
	for k := range cnt {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		fmt.Println(cnt[k], k)
	}
	fmt.Println("nodes", len(sorted))
}
