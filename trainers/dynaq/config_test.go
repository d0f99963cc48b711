package dynaq

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
		{"PlanningSteps", config.With(DefaultConfig(), func(c *Config) { c.PlanningSteps = -1 }).Validate()},
		{"Episodes", config.With(DefaultConfig(), func(c *Config) { c.Episodes = -1 }).Validate()},
		{"Alpha", config.With(DefaultConfig(), func(c *Config) { c.Alpha = 0 }).Validate()},
		{"Epsilon", config.With(DefaultConfig(), func(c *Config) { c.Epsilon = 2 }).Validate()},
		{"Gamma", config.With(DefaultConfig(), func(c *Config) { c.Gamma = math.NaN() }).Validate()},
		{"MaxStepsPerEpisode", config.With(DefaultConfig(), func(c *Config) { c.MaxStepsPerEpisode = -1 }).Validate()},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			var ce *config.Error
			if !errors.As(tc.err, &ce) || ce.Pkg != "dynaq" || ce.Field != tc.field {
				t.Fatalf("got %v, want a *config.Error of dynaq naming %s", tc.err, tc.field)
			}
		})
	}
}
