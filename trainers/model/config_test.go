package model

import (
	"math"
	"testing"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/config/configtest"
)

func TestDefaultConfigValidates(t *testing.T) {
	configtest.Valid(t, DefaultConfig().Validate(), DefaultFitConfig().Validate())
}

func TestValidateNamesTheField(t *testing.T) {
	configtest.NamesFields(t, "model", map[string]error{
		"Samples":       config.With(DefaultConfig(), func(c *Config) { c.Samples = -1 }).Validate(),
		"EpisodeSteps":  config.With(DefaultConfig(), func(c *Config) { c.EpisodeSteps = -1 }).Validate(),
		"ValFrac":       config.With(DefaultConfig(), func(c *Config) { c.ValFrac = 1 }).Validate(),
		"EpochsPerIter": config.With(DefaultConfig(), func(c *Config) { c.EpochsPerIter = 0 }).Validate(),
		"Fit.Batch":     config.With(DefaultConfig(), func(c *Config) { c.Fit.Batch = 0 }).Validate(),
		"Horizons":      config.With(DefaultConfig(), func(c *Config) { c.Horizons = nil }).Validate(),
		"Stride":        config.With(DefaultConfig(), func(c *Config) { c.Stride = 0 }).Validate(),
		"Hidden":        config.With(DefaultFitConfig(), func(c *FitConfig) { c.Hidden = nil }).Validate(),
		"Activation":    config.With(DefaultFitConfig(), func(c *FitConfig) { c.Activation = "sigmoid" }).Validate(),
		"Ensemble":      config.With(DefaultFitConfig(), func(c *FitConfig) { c.Ensemble = 0 }).Validate(),
		"LR":            config.With(DefaultFitConfig(), func(c *FitConfig) { c.LR = math.NaN() }).Validate(),
	})
}
