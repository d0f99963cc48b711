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
//
// Memory is the other half of checking a configuration before running
// it: each trainer's Config.Memory estimates what its settings allocate
// (weights and optimiser copies, activations, datasets, buffers) as terms
// charged to the settings that drive them, and Memory.Check refuses an
// estimate above Available (MemAvailable, a cgroup limit or GOMEMLIMIT)
// with an *Error naming the setting of the largest term:
//
//	m := bpttCfg.Memory(env, hidden)
//	avail, _ := config.Available()
//	err := m.Check(avail) // "bptt: Hidden needs about 400 TB of memory (...), more than the 24 GB available; ..."
package config
