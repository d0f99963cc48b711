package envs

import (
	"encoding/json"
	"math"
	"testing"
)

func TestSpaceJSONRoundTrip(t *testing.T) {
	cases := []Space{
		Box([]float64{-2}, []float64{2}),
		Box([]float64{math.Inf(-1), -1}, []float64{math.Inf(1), 1}),
		DiscreteSpace(4),
	}
	for _, s := range cases {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		var got Space
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if got.String() != s.String() || got.Discrete != s.Discrete || got.N != s.N || len(got.Low) != len(s.Low) {
			t.Fatalf("round trip %s: got %+v want %+v", b, got, s)
		}
		for i := range s.Low {
			if got.Low[i] != s.Low[i] || got.High[i] != s.High[i] {
				t.Fatalf("bound %d: got %v..%v want %v..%v", i, got.Low[i], got.High[i], s.Low[i], s.High[i])
			}
		}
	}
	var s Space
	if err := json.Unmarshal([]byte(`{"low":["huge"],"high":[1]}`), &s); err == nil {
		t.Fatal("bad bound accepted")
	}
}
