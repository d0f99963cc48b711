package dagger

import runs "github.com/mbrl/mbrl/trainers/run"

// Summarize adds to the summary of an imitation run (DAgger, behaviour
// cloning, PLATO) the last iteration's labels, expert_return,
// train_return, bc_return and bc_labels (those it reported) and
// mean_train_return, the mean training-episode return over the iterations
// this process ran.
func Summarize(r *runs.Run, sum runs.Summary) {
	last := r.History.Last()
	for _, k := range []string{"labels", "expert_return", "train_return", "bc_return", "bc_labels"} {
		if v, ok := last[k]; ok {
			sum[k] = v
		}
	}
	if m, n := r.History.Mean("train_return"); n > 0 {
		sum["mean_train_return"] = m
	}
}
