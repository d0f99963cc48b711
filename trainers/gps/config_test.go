package gps

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
		{"Conditions", config.With(DefaultConfig(), func(c *Config) { c.Conditions = 0 }).Validate()},
		{"Horizon", config.With(DefaultConfig(), func(c *Config) { c.Horizon = -1 }).Validate()},
		{"Rho", config.With(DefaultConfig(), func(c *Config) { c.Rho = 0 }).Validate()},
		{"RhoGrowth", config.With(DefaultConfig(), func(c *Config) { c.RhoGrowth = 0.5 }).Validate()},
		{"RhoMax", config.With(DefaultConfig(), func(c *Config) { c.RhoMax = 0.5 }).Validate()},
		{"DualStep", config.With(DefaultConfig(), func(c *Config) { c.DualStep = math.Inf(1) }).Validate()},
		{"PolicyEpochs", config.With(DefaultConfig(), func(c *Config) { c.PolicyEpochs = 0 }).Validate()},
		{"LRFloor", config.With(DefaultConfig(), func(c *Config) { c.LRFloor = 0 }).Validate()},
		{"FeedbackNoise", config.With(DefaultConfig(), func(c *Config) { c.FeedbackNoise = 0 }).Validate()},
		{"ILQRIters", config.With(DefaultConfig(), func(c *Config) { c.ILQRIters = 0 }).Validate()},
		{"Init", config.With(DefaultConfig(), func(c *Config) { c.Init = nil }).Validate()},
		{"Workers", config.With(DefaultConfig(), func(c *Config) { c.Workers = -1 }).Validate()},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			var ce *config.Error
			if !errors.As(tc.err, &ce) || ce.Pkg != "gps" || ce.Field != tc.field {
				t.Fatalf("got %v, want a *config.Error of gps naming %s", tc.err, tc.field)
			}
		})
	}
}
