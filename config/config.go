package config

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Error is a setting out of its valid range: Pkg is the package that owns
// the setting (e.g. "gps"), Field its Go name, with a dot for nested
// settings (e.g. "Fit.Batch"), and Msg what is wrong and what is valid.
type Error struct {
	Pkg, Field, Msg string
}

// Error returns "pkg: Field msg", e.g. "gps: Conditions must be >= 1, got 0".
func (e *Error) Error() string { return e.Pkg + ": " + e.Field + " " + e.Msg }

// Checker records the first violation among the checks run on it. The zero
// Checker with Pkg set is ready to use; Err returns the violation.
type Checker struct {
	// Pkg names the package whose settings are checked.
	Pkg string
	err *Error
}

// Failf records that field violates its range, with a message formatted
// like fmt.Sprintf, unless an earlier check failed.
func (c *Checker) Failf(field, format string, args ...any) {
	if c.err == nil {
		c.err = &Error{Pkg: c.Pkg, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
}

// Check records field with the message if ok is false.
func (c *Checker) Check(ok bool, field, format string, args ...any) {
	if !ok {
		c.Failf(field, format, args...)
	}
}

// AtLeast checks v >= lo for an integer setting.
func (c *Checker) AtLeast(field string, v, lo int) {
	c.Check(v >= lo, field, "must be >= %d, got %d", lo, v)
}

// Positive checks that v is finite and > 0.
func (c *Checker) Positive(field string, v float64) {
	c.Check(v > 0 && !math.IsInf(v, 0), field, "must be positive and finite, got %v", v)
}

// NonNegative checks that v is finite and >= 0.
func (c *Checker) NonNegative(field string, v float64) {
	c.Check(v >= 0 && !math.IsInf(v, 0), field, "must be >= 0 and finite, got %v", v)
}

// In checks lo <= v <= hi (which also rejects NaN).
func (c *Checker) In(field string, v, lo, hi float64) {
	c.Check(v >= lo && v <= hi, field, "must be in [%v, %v], got %v", lo, hi, v)
}

// Sizes checks that every layer width in v is at least 1 (an empty list is
// valid: no hidden layer).
func (c *Checker) Sizes(field string, v []int) {
	for _, h := range v {
		if h < 1 {
			c.Failf(field, "sizes must be >= 1, got %v", v)
			return
		}
	}
}

// Nested records err, the result of a nested settings' Validate, under
// prefix: a *Error's field becomes "prefix.Field" and its package Pkg;
// any other error is recorded as the message of field prefix.
func (c *Checker) Nested(prefix string, err error) {
	if err == nil || c.err != nil {
		return
	}
	var e *Error
	if errors.As(err, &e) {
		c.err = &Error{Pkg: c.Pkg, Field: prefix + "." + e.Field, Msg: e.Msg}
		return
	}
	c.Failf(prefix, "%s", strings.TrimPrefix(err.Error(), c.Pkg+": "))
}

// Err returns the first violation as an *Error, or nil.
func (c *Checker) Err() error {
	if c.err == nil {
		return nil
	}
	return c.err
}

// With returns c after set(&c): a configuration with a few fields changed
// from a default one, as one expression, e.g.
//
//	cfg := config.With(gps.DefaultConfig(), func(c *gps.Config) { c.Conditions = 8 })
func With[T any](c T, set func(*T)) T {
	set(&c)
	return c
}
