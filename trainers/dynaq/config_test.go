package dynaq

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
	configtest.NamesFields(t, "dynaq", map[string]error{
		"PlanningSteps":      config.With(DefaultConfig(), func(c *Config) { c.PlanningSteps = -1 }).Validate(),
		"Episodes":           config.With(DefaultConfig(), func(c *Config) { c.Episodes = -1 }).Validate(),
		"Alpha":              config.With(DefaultConfig(), func(c *Config) { c.Alpha = 0 }).Validate(),
		"Epsilon":            config.With(DefaultConfig(), func(c *Config) { c.Epsilon = 2 }).Validate(),
		"Gamma":              config.With(DefaultConfig(), func(c *Config) { c.Gamma = math.NaN() }).Validate(),
		"MaxStepsPerEpisode": config.With(DefaultConfig(), func(c *Config) { c.MaxStepsPerEpisode = -1 }).Validate(),
	})
}
