// Package report renders a run folder or a comparison folder as one
// self-contained HTML page (report.html): no network, no JavaScript, the
// plots inlined as SVG (the twins gonum/plot's SVG backend writes beside
// every PNG), plain tables and CSS. A person who has never seen mbrl can
// read from its first box what was trained, how well it did and how long
// it took; below come the command line and effective configuration, the
// summary, the metrics table, every plot and the checkpoint.
//
// It reads only the files of the folder (summary.json, config.yaml,
// metrics.csv, *.svg, *.png, final.safetensors; for a comparison
// compare.json and plan.json), so that any run, old or new, can be
// reported, and it depends on no trainer.
//
//	path, err := report.Write("runs/dagger-pendulum-1-...") // writes report.html there
package report
