package gps

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
	configtest.NamesFields(t, "gps", map[string]error{
		"Conditions":    config.With(DefaultConfig(), func(c *Config) { c.Conditions = 0 }).Validate(),
		"Horizon":       config.With(DefaultConfig(), func(c *Config) { c.Horizon = -1 }).Validate(),
		"Rho":           config.With(DefaultConfig(), func(c *Config) { c.Rho = 0 }).Validate(),
		"RhoGrowth":     config.With(DefaultConfig(), func(c *Config) { c.RhoGrowth = 0.5 }).Validate(),
		"RhoMax":        config.With(DefaultConfig(), func(c *Config) { c.RhoMax = 0.5 }).Validate(),
		"DualStep":      config.With(DefaultConfig(), func(c *Config) { c.DualStep = math.Inf(1) }).Validate(),
		"PolicyEpochs":  config.With(DefaultConfig(), func(c *Config) { c.PolicyEpochs = 0 }).Validate(),
		"PolicyShards":  config.With(DefaultConfig(), func(c *Config) { c.Batch, c.PolicyShards = 4, 5 }).Validate(),
		"LRFloor":       config.With(DefaultConfig(), func(c *Config) { c.LRFloor = 0 }).Validate(),
		"FeedbackNoise": config.With(DefaultConfig(), func(c *Config) { c.FeedbackNoise = 0 }).Validate(),
		"ILQRIters":     config.With(DefaultConfig(), func(c *Config) { c.ILQRIters = 0 }).Validate(),
		"Init":          config.With(DefaultConfig(), func(c *Config) { c.Init = nil }).Validate(),
		"Workers":       config.With(DefaultConfig(), func(c *Config) { c.Workers = -1 }).Validate(),
	})
}
