package main

import (
	"github.com/schollz/progressbar/v3"
)

// progress is a progress bar that draws only on a terminal and never with
// --quiet. Its zero value (and a nil *progress) draws nothing.
type progress struct {
	bar *progressbar.ProgressBar
}

// newProgress returns a bar over max steps described by desc. It draws on
// stderr, so stdout stays clean for --json, and only when stdout is a
// terminal and quiet is false.
func (a *app) newProgress(max int, desc string, quiet bool) *progress {
	if quiet || !a.isTerminal || max <= 0 {
		return &progress{}
	}
	return &progress{bar: progressbar.NewOptions(max,
		progressbar.OptionSetWriter(a.stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100_000_000),
	)}
}

// Add advances the bar by n steps.
func (p *progress) Add(n int) {
	if p == nil || p.bar == nil {
		return
	}
	_ = p.bar.Add(n)
}

// Describe changes the text beside the bar (e.g. the latest loss).
func (p *progress) Describe(s string) {
	if p == nil || p.bar == nil {
		return
	}
	p.bar.Describe(s)
}

// Finish completes and clears the bar.
func (p *progress) Finish() {
	if p == nil || p.bar == nil {
		return
	}
	_ = p.bar.Finish()
}
