package dyna

import (
	"errors"
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
		{"PlanningSteps", config.With(DefaultConfig(), func(c *Config) { c.PlanningSteps = -1 }).Validate()},
		{"RolloutLength", config.With(DefaultConfig(), func(c *Config) { c.RolloutLength = 0 }).Validate()},
		{"Batch", config.With(DefaultConfig(), func(c *Config) { c.Batch = 0 }).Validate()},
		{"Gamma", config.With(DefaultConfig(), func(c *Config) { c.Gamma = 0 }).Validate()},
		{"ClipNorm", config.With(DefaultConfig(), func(c *Config) { c.ClipNorm = -1 }).Validate()},
		{"Tau", config.With(DefaultConfig(), func(c *Config) { c.Tau = 0 }).Validate()},
		{"EpsilonStart", config.With(DefaultConfig(), func(c *Config) { c.EpsilonStart = 2 }).Validate()},
		{"ActionBins", config.With(DefaultConfig(), func(c *Config) { c.ActionBins = 1 }).Validate()},
		{"ModelActivation", config.With(DefaultConfig(), func(c *Config) { c.ModelActivation = "x" }).Validate()},
		{"Ensemble", config.With(DefaultConfig(), func(c *Config) { c.Ensemble = 0 }).Validate()},
		{"ModelLR", config.With(DefaultConfig(), func(c *Config) { c.ModelLR = 0 }).Validate()},
		{"EvalEpisodes", config.With(DefaultConfig(), func(c *Config) { c.EvalEpisodes = 0 }).Validate()},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			var ce *config.Error
			if !errors.As(tc.err, &ce) || ce.Pkg != "dyna" || ce.Field != tc.field {
				t.Fatalf("got %v, want a *config.Error of dyna naming %s", tc.err, tc.field)
			}
		})
	}
}
