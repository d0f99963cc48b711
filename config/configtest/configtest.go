// Package configtest checks configurations in tests: that the defaults
// validate and that Validate names the field it rejects.
//
//	configtest.Valid(t, gps.DefaultConfig().Validate())
//	configtest.NamesFields(t, "gps", map[string]error{
//		"Rho": config.With(gps.DefaultConfig(), func(c *gps.Config) { c.Rho = 0 }).Validate(),
//	})
package configtest

import (
	"errors"
	"testing"

	"github.com/mbrl/mbrl/config"
)

// Valid fails t for every non-nil error.
func Valid(t testing.TB, errs ...error) {
	t.Helper()
	for _, err := range errs {
		if err != nil {
			t.Errorf("a default configuration does not validate: %v", err)
		}
	}
}

// NamesFields fails t for every field whose error (the result of a
// Validate expected to reject that field) is not a *config.Error of package
// pkg naming it.
func NamesFields(t testing.TB, pkg string, errs map[string]error) {
	t.Helper()
	for field, err := range errs {
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Pkg != pkg || ce.Field != field {
			t.Errorf("got %v, want a *config.Error of %s naming %s", err, pkg, field)
		}
	}
}
