package bptt

import (
	"testing"

	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/config/configtest"
)

func TestDefaultConfigValidates(t *testing.T) {
	configtest.Valid(t, DefaultConfig().Validate())
}

func TestValidateNamesTheField(t *testing.T) {
	configtest.NamesFields(t, "bptt", map[string]error{
		"Horizon":  config.With(DefaultConfig(), func(c *Config) { c.Horizon = 0 }).Validate(),
		"Schedule": config.With(DefaultConfig(), func(c *Config) { c.Schedule = []Stage{{From: 5, Horizon: 10}, {From: 2, Horizon: 20}} }).Validate(),
		"Batch":    config.With(DefaultConfig(), func(c *Config) { c.Batch = 0 }).Validate(),
		"Adam.LR":  config.With(DefaultConfig(), func(c *Config) { c.Adam.LR = 0 }).Validate(),
		"ClipNorm": config.With(DefaultConfig(), func(c *Config) { c.ClipNorm = -1 }).Validate(),
		"Truncate": config.With(DefaultConfig(), func(c *Config) { c.Truncate = -1 }).Validate(),
		"Shards":   config.With(DefaultConfig(), func(c *Config) { c.Batch, c.Shards = 4, 5 }).Validate(),
	})
}
