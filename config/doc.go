// Package config holds what every configurable package of mbrl shares about
// its settings: the error a bad setting produces and a small checker that
// writes the one-line messages.
//
// Every trainer (and control's planners) exports DefaultConfig, the one copy
// of its defaults, and Config.Validate, which returns an *Error naming the
// first bad field by its Go name. A caller that wants to tell bad input
// apart from a failure (the CLI maps it to exit status 2) uses errors.As:
//
//	cfg := gps.DefaultConfig()
//	cfg.Conditions = 0
//	var ce *config.Error
//	if err := cfg.Validate(); errors.As(err, &ce) {
//		fmt.Println(ce.Field) // Conditions
//	}
package config
