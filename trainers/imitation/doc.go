// Package imitation holds what the imitation-learning trainers (DAgger and
// behaviour cloning in trainers/dagger, PLATO in trainers/plato) share:
//
//   - Config, the settings they have in common (env and expert factories,
//     the learner's architecture, N iterations of M episodes, the fit,
//     workers, seed, the expert's evaluation), embedded in theirs;
//   - Dataset, the aggregated labelled observations D, and Learner, the
//     warm-started supervised regression of a policy on D (nn.Regressor:
//     Adam, a held-out split, early stopping; the observation normaliser
//     fitted once, to the first data);
//   - Core, a trainer's dataset, learner and evaluated expert, with its
//     resume state, and Collect, which runs one iteration's episodes in
//     parallel with each worker's own env, expert and actor (the mixture of
//     DAgger, the teacher of PLATO), recording every visited observation
//     with the expert's label.
//
// Episode e of iteration i of a collection of kind k resets from the
// stream rand.NewPCG(Seed, Stream(k, i, e)), so results do not depend on
// the number of workers, and DAgger, behaviour cloning and PLATO runs with
// the same seed start their training episodes from the same states:
//
//	core, space, err := imitation.NewCore("mymethod", cfg)
//	core.Learner, err = imitation.NewLearner(pol, pol.Normaliser(), core.ObsDim, core.ActDim, cfg.Fit, pcg)
//	eps, err := imitation.Collect(ctx, core, imitation.KindTraining, iter, 0, cfg.EpisodesPerIter, newActor, nil)
//	meanReturn, steps := imitation.Aggregate(core.Data, eps)
//	fr, err := core.Learner.Fit(core.Data, 0)
package imitation
