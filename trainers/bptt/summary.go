package bptt

import "github.com/mbrl/mbrl/trainers/run"

// Summarize adds the configuration of a run of t (horizon, clip, truncate,
// batch, lr and its schedule) and the last pre-clip gradient norm (grad_norm) to its
// summary.
func (t *Trainer) Summarize(r *run.Run, sum run.Summary) error {
	grad, _ := r.History.Latest("grad_norm")
	sum["horizon"], sum["clip"], sum["truncate"] = t.cfg.Horizon, t.cfg.ClipNorm, t.cfg.Truncate
	sum["batch"], sum["lr"], sum["grad_norm"] = t.cfg.Batch, t.cfg.Adam.LR, grad
	sum["warmup"], sum["lr_final"] = t.cfg.Warmup, t.cfg.LRFinal
	return nil
}
