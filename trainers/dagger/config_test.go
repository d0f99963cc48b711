package dagger

import (
	"testing"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/config/configtest"
)

func TestDefaultConfigValidates(t *testing.T) {
	configtest.Valid(t, DefaultConfig().Validate(), DefaultBCConfig().Validate())
}

func TestValidateNamesTheField(t *testing.T) {
	configtest.NamesFields(t, "dagger", map[string]error{
		"Hidden":            config.With(DefaultConfig(), func(c *Config) { c.Hidden = nil }).Validate(),
		"Activation":        config.With(DefaultConfig(), func(c *Config) { c.Activation = "x" }).Validate(),
		"Iters":             config.With(DefaultConfig(), func(c *Config) { c.Iters = 0 }).Validate(),
		"EpisodesPerIter":   config.With(DefaultConfig(), func(c *Config) { c.EpisodesPerIter = 0 }).Validate(),
		"BetaDecay":         config.With(DefaultConfig(), func(c *Config) { c.BetaDecay = 1.5 }).Validate(),
		"CompareBC":         config.With(DefaultConfig(), func(c *Config) { c.BC, c.CompareBC = true, true }).Validate(),
		"Fit.ValFrac":       config.With(DefaultConfig(), func(c *Config) { c.Fit.ValFrac = 1 }).Validate(),
		"MaxSteps":          config.With(DefaultConfig(), func(c *Config) { c.MaxSteps = 0 }).Validate(),
		"Workers":           config.With(DefaultConfig(), func(c *Config) { c.Workers = -1 }).Validate(),
		"FinalEvalEpisodes": config.With(DefaultConfig(), func(c *Config) { c.FinalEvalEpisodes = 0 }).Validate(),
		"EvalEpisodes":      config.With(DefaultConfig(), func(c *Config) { c.EvalEpisodes = 0 }).Validate(),
	})
}
