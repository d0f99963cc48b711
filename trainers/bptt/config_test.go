package bptt

import (
	"errors"
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
		{"Horizon", config.With(DefaultConfig(), func(c *Config) { c.Horizon = 0 }).Validate()},
		{"Schedule", config.With(DefaultConfig(), func(c *Config) { c.Schedule = []Stage{{From: 5, Horizon: 10}, {From: 2, Horizon: 20}} }).Validate()},
		{"Batch", config.With(DefaultConfig(), func(c *Config) { c.Batch = 0 }).Validate()},
		{"Adam.LR", config.With(DefaultConfig(), func(c *Config) { c.Adam.LR = 0 }).Validate()},
		{"ClipNorm", config.With(DefaultConfig(), func(c *Config) { c.ClipNorm = -1 }).Validate()},
		{"Truncate", config.With(DefaultConfig(), func(c *Config) { c.Truncate = -1 }).Validate()},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			var ce *config.Error
			if !errors.As(tc.err, &ce) || ce.Pkg != "bptt" || ce.Field != tc.field {
				t.Fatalf("got %v, want a *config.Error of bptt naming %s", tc.err, tc.field)
			}
		})
	}
}
