package model

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
	if err := DefaultFitConfig().Validate(); err != nil {
		t.Fatalf("DefaultFitConfig(): %v", err)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	cases := []struct {
		field string
		err   error
	}{
		{"Samples", config.With(DefaultConfig(), func(c *Config) { c.Samples = -1 }).Validate()},
		{"EpisodeSteps", config.With(DefaultConfig(), func(c *Config) { c.EpisodeSteps = -1 }).Validate()},
		{"ValFrac", config.With(DefaultConfig(), func(c *Config) { c.ValFrac = 1 }).Validate()},
		{"EpochsPerIter", config.With(DefaultConfig(), func(c *Config) { c.EpochsPerIter = 0 }).Validate()},
		{"Fit.Batch", config.With(DefaultConfig(), func(c *Config) { c.Fit.Batch = 0 }).Validate()},
		{"Horizons", config.With(DefaultConfig(), func(c *Config) { c.Horizons = nil }).Validate()},
		{"Stride", config.With(DefaultConfig(), func(c *Config) { c.Stride = 0 }).Validate()},
		{"Hidden", config.With(DefaultFitConfig(), func(c *FitConfig) { c.Hidden = nil }).Validate()},
		{"Activation", config.With(DefaultFitConfig(), func(c *FitConfig) { c.Activation = "sigmoid" }).Validate()},
		{"Ensemble", config.With(DefaultFitConfig(), func(c *FitConfig) { c.Ensemble = 0 }).Validate()},
		{"LR", config.With(DefaultFitConfig(), func(c *FitConfig) { c.LR = math.NaN() }).Validate()},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			var ce *config.Error
			if !errors.As(tc.err, &ce) || ce.Pkg != "model" || ce.Field != tc.field {
				t.Fatalf("got %v, want a *config.Error of model naming %s", tc.err, tc.field)
			}
		})
	}
}
