package mpc

import (
	"testing"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/config/configtest"
)

func TestDefaultConfigValidates(t *testing.T) {
	configtest.Valid(t, DefaultConfig().Validate(), DefaultPlannerConfig().Validate())
}

func TestValidateNamesTheField(t *testing.T) {
	configtest.NamesFields(t, "mpc", map[string]error{
		"RandomSteps":     config.With(DefaultConfig(), func(c *Config) { c.RandomSteps = 0 }).Validate(),
		"EpisodesPerIter": config.With(DefaultConfig(), func(c *Config) { c.EpisodesPerIter = 0 }).Validate(),
		"InitFitSteps":    config.With(DefaultConfig(), func(c *Config) { c.InitFitSteps = 0 }).Validate(),
		"FitSteps":        config.With(DefaultConfig(), func(c *Config) { c.FitSteps = 0 }).Validate(),
		"Fit.LR":          config.With(DefaultConfig(), func(c *Config) { c.Fit.LR = 0 }).Validate(),
		"Planner.Planner": config.With(DefaultConfig(), func(c *Config) { c.Planner.Planner = "random" }).Validate(),
		"Planner.Elites":  config.With(DefaultConfig(), func(c *Config) { c.Planner.Elites = 100 }).Validate(),
		"Workers":         config.With(DefaultConfig(), func(c *Config) { c.Workers = -1 }).Validate(),
		"Horizon":         config.With(DefaultPlannerConfig(), func(c *PlannerConfig) { c.Horizon = -1 }).Validate(),
		"Plans":           config.With(DefaultPlannerConfig(), func(c *PlannerConfig) { c.Plans = 0 }).Validate(),
		"Samples":         config.With(DefaultPlannerConfig(), func(c *PlannerConfig) { c.Samples = 1 }).Validate(),
	})
}
