package bptt

import "github.com/mbrl/mbrl/trainers/run"

// Summarize adds the configuration of a run of t (horizon, clip, truncate,
// batch, lr and its schedule) and the last pre-clip gradient norm (grad_norm) to its
// summary.
func (t *Trainer) Summarize(r *run.Run, sum run.Summary) error {
	grad, _ := r.History.Latest("grad_norm")
	sum["horizon"], sum["clip"], sum["truncate"] = t.cfg.Horizon, t.cfg.ClipNorm, t.cfg.Truncate
	sum["shards"] = max(t.cfg.Shards, 1)
	sum["batch"], sum["lr"], sum["grad_norm"] = t.cfg.Batch, t.cfg.Adam.LR, grad
	sum["warmup"], sum["lr_final"] = t.cfg.Warmup, t.cfg.LRFinal
	return nil
}

// Summarize adds BPTT's configuration (Trainer.Summarize), the real data
// (env_steps, random_steps, refit_every, episodes_per_refit) and the
// last model loss to the summary of a run of t.
func (t *LearnTrainer) Summarize(r *run.Run, sum run.Summary) error {
	if err := t.bp.Summarize(r, sum); err != nil {
		return err
	}
	sum["env_steps"], sum["random_steps"] = t.data.Len(), t.cfg.RandomSteps
	sum["refit_every"], sum["episodes_per_refit"], sum["noise"] = t.cfg.RefitEvery, t.cfg.Episodes, t.cfg.Noise
	sum["model_loss"] = t.loss
	return nil
}
