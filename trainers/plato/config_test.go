package plato

import (
	"math"
	"testing"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/config/configtest"
)

func TestDefaultConfigValidates(t *testing.T) {
	configtest.Valid(t, DefaultConfig().Validate())
}

func TestValidateNamesTheField(t *testing.T) {
	configtest.NamesFields(t, "plato", map[string]error{
		"KLWeight":   config.With(DefaultConfig(), func(c *Config) { c.KLWeight = -1 }).Validate(),
		"Schedule":   config.With(DefaultConfig(), func(c *Config) { c.Schedule = "cosine" }).Validate(),
		"KLGrowth":   config.With(DefaultConfig(), func(c *Config) { c.KLGrowth = 0 }).Validate(),
		"Hidden":     config.With(DefaultConfig(), func(c *Config) { c.Hidden = []int{0} }).Validate(),
		"InitStd":    config.With(DefaultConfig(), func(c *Config) { c.InitStd = -1 }).Validate(),
		"MinStd":     config.With(DefaultConfig(), func(c *Config) { c.MinStd = math.NaN() }).Validate(),
		"Iters":      config.With(DefaultConfig(), func(c *Config) { c.Iters = 0 }).Validate(),
		"Fit.Epochs": config.With(DefaultConfig(), func(c *Config) { c.Fit.Epochs = 0 }).Validate(),
		"MaxSteps":   config.With(DefaultConfig(), func(c *Config) { c.MaxSteps = 0 }).Validate(),
	})
}
