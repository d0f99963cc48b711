package dagger

import (
	"errors"
	"testing"

	"github.com/mbrl/mbrl/config"
)

func TestDefaultConfigValidates(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig(): %v", err)
	}
	if err := DefaultBCConfig().Validate(); err != nil {
		t.Fatalf("DefaultBCConfig(): %v", err)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	cases := []struct {
		field string
		err   error
	}{
		{"Hidden", config.With(DefaultConfig(), func(c *Config) { c.Hidden = nil }).Validate()},
		{"Activation", config.With(DefaultConfig(), func(c *Config) { c.Activation = "x" }).Validate()},
		{"Iters", config.With(DefaultConfig(), func(c *Config) { c.Iters = 0 }).Validate()},
		{"EpisodesPerIter", config.With(DefaultConfig(), func(c *Config) { c.EpisodesPerIter = 0 }).Validate()},
		{"BetaDecay", config.With(DefaultConfig(), func(c *Config) { c.BetaDecay = 1.5 }).Validate()},
		{"CompareBC", config.With(DefaultConfig(), func(c *Config) { c.BC, c.CompareBC = true, true }).Validate()},
		{"Fit.ValFrac", config.With(DefaultConfig(), func(c *Config) { c.Fit.ValFrac = 1 }).Validate()},
		{"MaxSteps", config.With(DefaultConfig(), func(c *Config) { c.MaxSteps = 0 }).Validate()},
		{"Workers", config.With(DefaultConfig(), func(c *Config) { c.Workers = -1 }).Validate()},
		{"FinalEvalEpisodes", config.With(DefaultConfig(), func(c *Config) { c.FinalEvalEpisodes = 0 }).Validate()},
		{"EvalEpisodes", config.With(DefaultConfig(), func(c *Config) { c.EvalEpisodes = 0 }).Validate()},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			var ce *config.Error
			if !errors.As(tc.err, &ce) || ce.Pkg != "dagger" || ce.Field != tc.field {
				t.Fatalf("got %v, want a *config.Error of dagger naming %s", tc.err, tc.field)
			}
		})
	}
}
