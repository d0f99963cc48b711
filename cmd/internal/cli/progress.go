package cli

import (
	"fmt"
	"io"

	"github.com/mbrl/mbrl/trainers/common"
	"github.com/mbrl/mbrl/trainers/run"
	"github.com/schollz/progressbar/v3"
)

// Progress is a progress bar on w (stderr, so that stdout stays clean for
// JSON). A nil *Progress draws nothing.
type Progress struct {
	bar  *progressbar.ProgressBar
	desc string
}

// NewProgress returns a bar over max steps described by desc, or nil (no
// bar) unless show is true and max > 0.
func NewProgress(w io.Writer, max int, desc string, show bool) *Progress {
	if !show || max <= 0 {
		return nil
	}
	return &Progress{desc: desc, bar: progressbar.NewOptions(max,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100_000_000),
	)}
}

// Add advances the bar by n steps.
func (p *Progress) Add(n int) {
	if p != nil {
		_ = p.bar.Add(n)
	}
}

// Describe replaces the bar's description.
func (p *Progress) Describe(desc string) {
	if p != nil {
		p.bar.Describe(desc)
	}
}

// Finish completes and clears the bar.
func (p *Progress) Finish() {
	if p != nil {
		_ = p.bar.Finish()
	}
}

// RunProgress is a run.Recorder that draws a run's progress: one step per
// iteration, with the latest evaluation return or loss beside the bar.
type RunProgress struct {
	W    io.Writer
	Show bool
	bar  *Progress
}

// Init starts the bar over the iterations left to run.
func (p *RunProgress) Init(r *run.Run) error {
	p.bar = NewProgress(p.W, r.Iters-r.Start, r.Method+" "+r.Env, p.Show)
	return nil
}

// Record advances the bar.
func (p *RunProgress) Record(_ int, row []common.Metric) error {
	if p.bar == nil {
		return nil
	}
	_ = p.bar.bar.Add(1)
	for _, name := range []string{"eval_return", "loss"} {
		for _, m := range row {
			if m.Name == name {
				p.bar.bar.Describe(fmt.Sprintf("%s %s %.4g", p.bar.desc, name, m.Value))
				return nil
			}
		}
	}
	return nil
}

// Finish completes and clears the bar.
func (p *RunProgress) Finish() { p.bar.Finish() }
