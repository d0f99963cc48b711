package imitation

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/mbrl/mbrl/config"
)

func TestDefaultsValidate(t *testing.T) {
	if err := DefaultFitConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	v := config.Checker{Pkg: "x"}
	DefaultConfig().Check(&v)
	if err := v.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	shared := func(set func(*Config)) error {
		c := DefaultConfig()
		set(&c)
		v := config.Checker{Pkg: "imitation"}
		c.Check(&v)
		return v.Err()
	}
	cases := []struct {
		field string
		err   error
	}{
		{"Epochs", config.With(DefaultFitConfig(), func(c *FitConfig) { c.Epochs = 0 }).Validate()},
		{"Patience", config.With(DefaultFitConfig(), func(c *FitConfig) { c.Patience = 0 }).Validate()},
		{"ValFrac", config.With(DefaultFitConfig(), func(c *FitConfig) { c.ValFrac = -0.1 }).Validate()},
		{"Batch", config.With(DefaultFitConfig(), func(c *FitConfig) { c.Batch = 0 }).Validate()},
		{"LR", config.With(DefaultFitConfig(), func(c *FitConfig) { c.LR = math.Inf(1) }).Validate()},
		{"Hidden", shared(func(c *Config) { c.Hidden = []int{3, 0} })},
		{"Iters", shared(func(c *Config) { c.Iters = 0 })},
		{"Fit.Batch", shared(func(c *Config) { c.Fit.Batch = -1 })},
		{"Workers", shared(func(c *Config) { c.Workers = -2 })},
	}
	for _, tc := range cases {
		var ce *config.Error
		if !errors.As(tc.err, &ce) || ce.Pkg != "imitation" || ce.Field != tc.field {
			t.Errorf("%s: got %v, want a *config.Error of imitation naming it", tc.field, tc.err)
		}
	}
}

// TestDatasetJSONIsBitExact: a dataset survives JSON (the resume state)
// to the last bit, and malformed states are rejected. Non-finite values
// cannot be stored (a checkpoint refuses them anyway).
func TestDatasetJSONIsBitExact(t *testing.T) {
	d := NewDataset(2, 1)
	d.Append([]float64{0.1, -3e-300, math.Pi, -math.MaxFloat64}, []float64{1.0 / 3, math.Copysign(0, -1)})
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var e Dataset
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	for i := range d.Obs {
		if math.Float64bits(d.Obs[i]) != math.Float64bits(e.Obs[i]) {
			t.Fatalf("obs %d: %v became %v", i, d.Obs[i], e.Obs[i])
		}
	}
	if !slices.Equal(d.Label, e.Label) || e.Len() != 2 {
		t.Fatalf("labels %v, len %d", e.Label, e.Len())
	}
	if !slices.EqualFunc(d.Label, e.Label, func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }) {
		t.Fatalf("labels %v became %v", d.Label, e.Label)
	}
	for _, bad := range []string{
		`{"obs_dim":2,"act_dim":1,"obs":"AAAA","label":""}`,
		`{"obs_dim":2,"act_dim":1,"obs":[1,2,3],"label":[1]}`,
		`{"obs_dim":0,"act_dim":1,"obs":[],"label":[]}`,
	} {
		if err := json.Unmarshal([]byte(bad), &e); err == nil {
			t.Fatalf("malformed dataset %s was accepted", bad)
		}
	}
	d.Append([]float64{math.Inf(1), 0}, []float64{0})
	if _, err := json.Marshal(d); err == nil {
		t.Fatal("a dataset holding +Inf was encoded")
	}
}
