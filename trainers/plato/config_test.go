package plato

import (
	"errors"
	"math"
	"testing"

	"github.com/mbrl/mbrl/config"
)

func TestDefaultConfigValidates(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig(): %v", err)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	cases := []struct {
		field string
		err   error
	}{
		{"KLWeight", config.With(DefaultConfig(), func(c *Config) { c.KLWeight = -1 }).Validate()},
		{"Schedule", config.With(DefaultConfig(), func(c *Config) { c.Schedule = "cosine" }).Validate()},
		{"KLGrowth", config.With(DefaultConfig(), func(c *Config) { c.KLGrowth = 0 }).Validate()},
		{"Hidden", config.With(DefaultConfig(), func(c *Config) { c.Hidden = []int{0} }).Validate()},
		{"InitStd", config.With(DefaultConfig(), func(c *Config) { c.InitStd = -1 }).Validate()},
		{"MinStd", config.With(DefaultConfig(), func(c *Config) { c.MinStd = math.NaN() }).Validate()},
		{"Iters", config.With(DefaultConfig(), func(c *Config) { c.Iters = 0 }).Validate()},
		{"Fit.Epochs", config.With(DefaultConfig(), func(c *Config) { c.Fit.Epochs = 0 }).Validate()},
		{"MaxSteps", config.With(DefaultConfig(), func(c *Config) { c.MaxSteps = 0 }).Validate()},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			var ce *config.Error
			if !errors.As(tc.err, &ce) || ce.Pkg != "plato" || ce.Field != tc.field {
				t.Fatalf("got %v, want a *config.Error of plato naming %s", tc.err, tc.field)
			}
		})
	}
}
