package mpc

import (
	"errors"
	"testing"

	"github.com/mbrl/mbrl/config"
)

func TestDefaultConfigValidates(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig(): %v", err)
	}
	if err := DefaultPlannerConfig().Validate(); err != nil {
		t.Fatalf("DefaultPlannerConfig(): %v", err)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	cases := []struct {
		field string
		err   error
	}{
		{"RandomSteps", config.With(DefaultConfig(), func(c *Config) { c.RandomSteps = 0 }).Validate()},
		{"EpisodesPerIter", config.With(DefaultConfig(), func(c *Config) { c.EpisodesPerIter = 0 }).Validate()},
		{"InitFitSteps", config.With(DefaultConfig(), func(c *Config) { c.InitFitSteps = 0 }).Validate()},
		{"FitSteps", config.With(DefaultConfig(), func(c *Config) { c.FitSteps = 0 }).Validate()},
		{"Fit.LR", config.With(DefaultConfig(), func(c *Config) { c.Fit.LR = 0 }).Validate()},
		{"Planner.Planner", config.With(DefaultConfig(), func(c *Config) { c.Planner.Planner = "random" }).Validate()},
		{"Planner.Elites", config.With(DefaultConfig(), func(c *Config) { c.Planner.Elites = 100 }).Validate()},
		{"Workers", config.With(DefaultConfig(), func(c *Config) { c.Workers = -1 }).Validate()},
		{"Horizon", config.With(DefaultPlannerConfig(), func(c *PlannerConfig) { c.Horizon = -1 }).Validate()},
		{"Plans", config.With(DefaultPlannerConfig(), func(c *PlannerConfig) { c.Plans = 0 }).Validate()},
		{"Samples", config.With(DefaultPlannerConfig(), func(c *PlannerConfig) { c.Samples = 1 }).Validate()},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			var ce *config.Error
			if !errors.As(tc.err, &ce) || ce.Pkg != "mpc" || ce.Field != tc.field {
				t.Fatalf("got %v, want a *config.Error of mpc naming %s", tc.err, tc.field)
			}
		})
	}
}
