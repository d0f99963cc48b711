package dyna

import (
	"testing"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/config/configtest"
)

func TestDefaultConfigValidates(t *testing.T) {
	configtest.Valid(t, DefaultConfig().Validate())
}

func TestValidateNamesTheField(t *testing.T) {
	configtest.NamesFields(t, "dyna", map[string]error{
		"PlanningSteps":   config.With(DefaultConfig(), func(c *Config) { c.PlanningSteps = -1 }).Validate(),
		"RolloutLength":   config.With(DefaultConfig(), func(c *Config) { c.RolloutLength = 0 }).Validate(),
		"Batch":           config.With(DefaultConfig(), func(c *Config) { c.Batch = 0 }).Validate(),
		"Gamma":           config.With(DefaultConfig(), func(c *Config) { c.Gamma = 0 }).Validate(),
		"ClipNorm":        config.With(DefaultConfig(), func(c *Config) { c.ClipNorm = -1 }).Validate(),
		"Tau":             config.With(DefaultConfig(), func(c *Config) { c.Tau = 0 }).Validate(),
		"EpsilonStart":    config.With(DefaultConfig(), func(c *Config) { c.EpsilonStart = 2 }).Validate(),
		"ActionBins":      config.With(DefaultConfig(), func(c *Config) { c.ActionBins = 1 }).Validate(),
		"ModelActivation": config.With(DefaultConfig(), func(c *Config) { c.ModelActivation = "x" }).Validate(),
		"Ensemble":        config.With(DefaultConfig(), func(c *Config) { c.Ensemble = 0 }).Validate(),
		"ModelLR":         config.With(DefaultConfig(), func(c *Config) { c.ModelLR = 0 }).Validate(),
		"EvalEpisodes":    config.With(DefaultConfig(), func(c *Config) { c.EvalEpisodes = 0 }).Validate(),
	})
}
