package config

import (
	"errors"
	"fmt"
	"math"
	"testing"
)

func TestChecker(t *testing.T) {
	cases := []struct {
		name  string
		run   func(c *Checker)
		field string
		msg   string
	}{
		{"ok", func(c *Checker) {
			c.AtLeast("A", 1, 1)
			c.Positive("B", 2)
			c.NonNegative("C", 0)
			c.In("D", 1, 0, 1)
			c.Sizes("E", nil)
		}, "", ""},
		{"at least", func(c *Checker) { c.AtLeast("Batch", 0, 1) }, "Batch", "must be >= 1, got 0"},
		{"positive NaN", func(c *Checker) { c.Positive("LR", math.NaN()) }, "LR", "must be positive and finite, got NaN"},
		{"positive Inf", func(c *Checker) { c.Positive("LR", math.Inf(1)) }, "LR", "must be positive and finite, got +Inf"},
		{"non-negative", func(c *Checker) { c.NonNegative("Clip", -1) }, "Clip", "must be >= 0 and finite, got -1"},
		{"in", func(c *Checker) { c.In("Frac", 1.5, 0, 1) }, "Frac", "must be in [0, 1], got 1.5"},
		{"sizes", func(c *Checker) { c.Sizes("Hidden", []int{64, 0}) }, "Hidden", "sizes must be >= 1, got [64 0]"},
		{"first wins", func(c *Checker) { c.AtLeast("A", 0, 1); c.AtLeast("B", 0, 1) }, "A", "must be >= 1, got 0"},
		{"nested", func(c *Checker) {
			in := Checker{Pkg: "model"}
			in.AtLeast("Batch", 0, 1)
			c.Nested("Fit", in.Err())
		}, "Fit.Batch", "must be >= 1, got 0"},
		{"nested plain", func(c *Checker) { c.Nested("Init", fmt.Errorf("pkg: bad plan")) }, "Init", "bad plan"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Checker{Pkg: "pkg"}
			tc.run(&c)
			err := c.Err()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want a *Error", err)
			}
			if e.Pkg != "pkg" || e.Field != tc.field || e.Msg != tc.msg {
				t.Fatalf("got %q %q %q, want pkg %q %q", e.Pkg, e.Field, e.Msg, tc.field, tc.msg)
			}
			if want := "pkg: " + tc.field + " " + tc.msg; err.Error() != want {
				t.Fatalf("Error() = %q, want %q", err.Error(), want)
			}
		})
	}
}
