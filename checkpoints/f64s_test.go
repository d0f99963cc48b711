package checkpoints

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"testing"
)

// f64sState and numbersState are the same trainer state with its arrays
// as F64s and as plain []float64.
type f64sState struct {
	Step int               `json:"step"`
	M    []F64s            `json:"m"`
	Byk  map[string]F64s   `json:"byk"`
	Nil  F64s              `json:"nil"`
	Emp  F64s              `json:"emp"`
	Rest map[string]string `json:"rest"`
}

type numbersState struct {
	Step int                  `json:"step"`
	M    [][]float64          `json:"m"`
	Byk  map[string][]float64 `json:"byk"`
	Nil  []float64            `json:"nil"`
	Emp  []float64            `json:"emp"`
	Rest map[string]string    `json:"rest"`
}

func f64sSample() (f64sState, numbersState) {
	a := []float64{math.Copysign(0, -1), 1e-310, math.MaxFloat64, -math.SmallestNonzeroFloat64, 1.0 / 3, math.Nextafter(1, 2), 1e21, -1e-7}
	b := []float64{0.25, -2.5e-300}
	return f64sState{Step: 3, M: []F64s{a, b}, Byk: map[string]F64s{"x": b}, Emp: F64s{}, Rest: map[string]string{"k": "v"}},
		numbersState{Step: 3, M: [][]float64{a, b}, Byk: map[string][]float64{"x": b}, Emp: []float64{}, Rest: map[string]string{"k": "v"}}
}

// TestF64sSavesAsNumbers: a state whose arrays are F64s is saved to the
// same bytes as the same state with arrays of numbers (values that are not
// all integers), and loads back into F64s bit for bit.
func TestF64sSavesAsNumbers(t *testing.T) {
	fs, ns := f64sSample()
	encode := func(v any) []byte {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Encode(&Checkpoint{Meta: Metadata{Optimizer: raw}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	bf, bn := encode(fs), encode(ns)
	if !bytes.Equal(bf, bn) {
		t.Fatal("a state of F64s and the same state of []float64 save to different bytes")
	}
	c, err := Decode(bf)
	if err != nil {
		t.Fatal(err)
	}
	var got f64sState
	if err := json.Unmarshal(c.Meta.Optimizer, &got); err != nil {
		t.Fatalf("restored state %s: %v", c.Meta.Optimizer, err)
	}
	same := func(a, b []float64) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
				return false
			}
		}
		return true
	}
	for i := range fs.M {
		if !same(got.M[i], fs.M[i]) {
			t.Errorf("m[%d] = %v, want %v", i, got.M[i], fs.M[i])
		}
	}
	if !same(got.Byk["x"], fs.Byk["x"]) || got.Nil != nil || got.Emp == nil || len(got.Emp) != 0 || got.Rest["k"] != "v" {
		t.Errorf("restored %+v, want %+v", got, fs)
	}
}

func TestF64sJSON(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   F64s
		want string
	}{
		{"nil", nil, "null"},
		{"empty", F64s{}, "[]"},
		{"one", F64s{1}, `{"$f64":"AAAAAAAA8D8="}`},
	} {
		b, err := json.Marshal(tt.in)
		if err != nil || string(b) != tt.want {
			t.Errorf("%s: Marshal = %s, %v; want %s", tt.name, b, err, tt.want)
		}
		var back F64s
		if err := json.Unmarshal(b, &back); err != nil || len(back) != len(tt.in) || (tt.in == nil) != (back == nil) {
			t.Errorf("%s: Unmarshal(%s) = %v, %v", tt.name, b, back, err)
		}
	}
	var f F64s
	if err := json.Unmarshal([]byte(`[1.5, -0]`), &f); err != nil || len(f) != 2 || f[0] != 1.5 || !math.Signbit(f[1]) {
		t.Errorf("Unmarshal of numbers = %v, %v", f, err)
	}
	for _, v := range []float64{math.NaN(), math.Inf(1)} {
		if _, err := json.Marshal(F64s{1, v}); err == nil {
			t.Errorf("Marshal of %v succeeded, want an error (only finite values can be saved)", v)
		}
	}
	for _, bad := range []string{`{"$f64":"AAAA"}`, `{"$f64":"!"}`, `{"$f64":"AAAAAAAA8D8=","x":"y"}`, `{"x":"AAAAAAAA8D8="}`} {
		if err := json.Unmarshal([]byte(bad), &f); err == nil {
			t.Errorf("Unmarshal(%s) succeeded, want an error", bad)
		}
	}
}

// TestF64sRefused: a malformed binary array in the trainer state is
// refused by Save (ErrInvalid), never half-saved.
func TestF64sRefused(t *testing.T) {
	nan := make([]byte, 8)
	for i := range nan {
		nan[i] = 0xff
	}
	for _, tt := range []struct{ name, state string }{
		{"not base64", `{"a":{"$f64":"!!"}}`},
		{"not whole float64s", `{"a":{"$f64":"AAAA"}}`},
		{"not a string", `{"a":{"$f64":[1]}}`},
		{"another key after", `{"a":{"$f64":"AAAAAAAA8D8=","b":1}}`},
		{"another key before", `{"a":{"b":1,"$f64":"AAAAAAAA8D8="}}`},
		{"no values", `{"a":{"$f64":""}}`},
		{"NaN", `{"a":{"$f64":"` + base64.StdEncoding.EncodeToString(nan) + `"}}`},
		{"same tensor as an array", `{"a":{"b":{"$f64":"AAAAAAAA8D8="}},"a.b":[1]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Encode(&Checkpoint{Meta: Metadata{Optimizer: json.RawMessage(tt.state)}})
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Encode = %v, want ErrInvalid", err)
			}
		})
	}
}
