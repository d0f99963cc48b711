package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/nn"
	"github.com/mbrl/mbrl/trainers/common"
)

// writeDynamicsCheckpoint saves an (untrained) pendulum dynamics model
// named "dynamics", as 'mbrl train model' would.
func writeDynamicsCheckpoint(t *testing.T, dir string) string {
	t.Helper()
	m, err := nn.NewDynamicsModel("dynamics", nn.DynamicsArch{ObsDim: 3, ActDim: 1, Hidden: []int{8}, Activation: nn.Tanh}, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	c, err := common.BuildCheckpoint(checkpoints.Metadata{Method: "model", Env: "pendulum", Seed: 1}, m)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.safetensors")
	if err := checkpoints.Save(path, c); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBpttUsageErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no dynamics", []string{"train", "bptt", "--env", "pendulum"}, "one of --true-dynamics, --model CKPT and --learn-model"},
		{"learn-model and true", []string{"train", "bptt", "--learn-model", "--true-dynamics"}, "--learn-model learns its own model"},
		{"learn-model and model", []string{"train", "bptt", "--learn-model", "--model", "x"}, "drop --true-dynamics and --model"},
		{"learn-model refit", []string{"train", "bptt", "--learn-model", "--refit-every", "0"}, "--refit-every"},
		{"learn-model noise", []string{"train", "bptt", "--learn-model", "--noise", "-1"}, "--noise"},
		{"learn-model random", []string{"train", "bptt", "--learn-model", "--random-steps", "0"}, "--random-steps"},
		{"learn-model huge model", []string{"train", "bptt", "--learn-model", "--model-hidden", "1000000,1000000"}, "--model-hidden needs about"},
		{"learn-model huge data", []string{"train", "bptt", "--learn-model", "--random-steps", "100000000000"}, "--random-steps needs about"},
		{"learn-model cartpole", []string{"train", "bptt", "--learn-model", "--env", "cartpole"}, "discrete"},
		{"both dynamics", []string{"train", "bptt", "--env", "pendulum", "--true-dynamics", "--model", "x"}, "exactly one"},
		{"unknown env", []string{"train", "bptt", "--env", "nope", "--true-dynamics"}, "unknown environment"},
		{"bad horizon", []string{"train", "bptt", "--true-dynamics", "--horizon", "0"}, "--horizon"},
		{"bad schedule", []string{"train", "bptt", "--true-dynamics", "--horizon-schedule", "10-50"}, "ITER:H"},
		{"bad hidden", []string{"train", "bptt", "--true-dynamics", "--hidden", "8,x"}, "--hidden"},
		{"bad clip", []string{"train", "bptt", "--true-dynamics", "--clip", "-1"}, "--clip"},
		{"missing model", []string{"train", "bptt", "--model", filepath.Join(dir, "none.safetensors")}, "--model"},
		{"discrete env", []string{"train", "bptt", "--env", "maze", "--true-dynamics"}, ""},
		{"gradnorm no env", []string{"gradnorm", "--true-dynamics"}, "--env is required"},
		{"gradnorm no dynamics", []string{"gradnorm", "--env", "pendulum"}, "exactly one"},
		{"gradnorm bad horizons", []string{"gradnorm", "--env", "pendulum", "--true-dynamics", "--horizons", "1,a"}, "not an integer"},
		{"gradnorm zero horizon", []string{"gradnorm", "--env", "pendulum", "--true-dynamics", "--horizons", "0,5"}, "outside"},
		{"gradnorm duplicate horizon", []string{"gradnorm", "--env", "pendulum", "--true-dynamics", "--horizons", "5,5"}, "twice"},
		{"gradnorm starts", []string{"gradnorm", "--env", "pendulum", "--true-dynamics", "--starts", "0"}, "--starts"},
		{"gradnorm missing policy", []string{"gradnorm", "--env", "pendulum", "--true-dynamics", "--policy", filepath.Join(dir, "p.safetensors")}, "--policy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, c.args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr %q", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Fatalf("stderr %q does not mention %q", stderr, c.want)
			}
		})
	}
}

// TestBpttTrainAndGradnormCLI trains a tiny policy through the true
// pendulum and through a learned model, then studies its gradient norms
// with --policy, checking the JSON summaries and the files.
func TestBpttTrainAndGradnormCLI(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	stdout, stderr, code := runCLI(t, "train", "bptt", "--env", "pendulum", "--true-dynamics", "--horizon", "5",
		"--horizon-schedule", "1:8", "--batch", "4", "--hidden", "8", "--iters", "2", "--eval-every", "1",
		"--eval-episodes", "2", "--final-episodes", "2", "--truncate", "3", "--out", run, "--quiet", "--json")
	if code != 0 {
		t.Fatalf("train bptt: exit %d: %s", code, stderr)
	}
	sum := lastJSON(t, stdout)
	for _, k := range []string{"command", "method", "env", "eval", "checkpoint", "grad_norm", "horizon", "run_dir"} {
		if _, ok := sum[k]; !ok {
			t.Errorf("train JSON lacks %q: %v", k, sum)
		}
	}
	if sum["method"] != "bptt" {
		t.Errorf("method %v", sum["method"])
	}
	ckpt := filepath.Join(run, "final.safetensors")
	for _, f := range []string{ckpt, filepath.Join(run, "metrics.csv"), filepath.Join(run, "config.yaml")} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("missing %s", f)
		}
	}

	model := writeDynamicsCheckpoint(t, dir)
	stdout, stderr, code = runCLI(t, "train", "bptt", "--env", "pendulum", "--model", model, "--horizon", "4",
		"--batch", "4", "--hidden", "8", "--iters", "1", "--final-episodes", "2", "--out", filepath.Join(dir, "mrun"), "--quiet", "--json")
	if code != 0 {
		t.Fatalf("train bptt --model: exit %d: %s", code, stderr)
	}
	if d := lastJSON(t, stdout)["dynamics"]; d != model {
		t.Errorf("dynamics %v, want %s", d, model)
	}

	csvPath, png := filepath.Join(dir, "gn.csv"), filepath.Join(dir, "gn.png")
	stdout, stderr, code = runCLI(t, "gradnorm", "--env", "pendulum", "--true-dynamics", "--policy", ckpt,
		"--horizons", "1,3,10", "--starts", "4", "--csv", csvPath, "--plot", png, "--json")
	if code != 0 {
		t.Fatalf("gradnorm: exit %d: %s", code, stderr)
	}
	gn := lastJSON(t, stdout)
	if gn["command"] != "gradnorm" || gn["env"] != "pendulum" {
		t.Errorf("gradnorm JSON %v", gn)
	}
	for _, k := range []string{"horizons", "grad_norm", "grad_norm_p10", "grad_norm_p90", "grad_norm_max", "predicted_growth", "state_grad_norm"} {
		v, ok := gn[k].([]any)
		if !ok {
			t.Fatalf("gradnorm JSON field %q missing or not a list: %v", k, gn[k])
		}
		if k != "state_grad_norm" && len(v) != 3 {
			t.Errorf("%s has %d values, want 3", k, len(v))
		}
	}
	for _, f := range []string{csvPath, png, filepath.Join(dir, "gn_steps.csv"), filepath.Join(dir, "gn_steps.png")} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	// One horizon: a log axis over a single value, which once panicked in
	// gonum's log ticks.
	if _, stderr, code := runCLI(t, "gradnorm", "--env", "pendulum", "--true-dynamics", "--horizons", "1", "--starts", "2",
		"--plot", filepath.Join(dir, "gn1.png"), "--quiet"); code != 0 {
		t.Fatalf("gradnorm --horizons 1 --plot: exit %d: %s", code, stderr)
	}
	stdout, stderr, code = runCLI(t, "gradnorm", "--env", "pendulum", "--model", model, "--horizons", "2,6", "--starts", "3", "--hidden", "8")
	if code != 0 {
		t.Fatalf("gradnorm --model: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "σmax") {
		t.Errorf("table missing: %q", stdout)
	}
}

// TestBpttLearnModelCLI runs PILCO's loop from the CLI on a tiny budget:
// the run reports its real env steps and writes a checkpoint holding the
// policy and the model, which eval replays and --resume continues.
func TestBpttLearnModelCLI(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	args := []string{"train", "bptt", "--env", "pendulum", "--learn-model", "--horizon", "4", "--batch", "4", "--hidden", "8",
		"--random-steps", "40", "--refit-every", "2", "--episode-steps", "20", "--init-fit-steps", "4", "--fit-steps", "2",
		"--model-hidden", "8", "--model-batch", "16", "--final-episodes", "2", "--out", run, "--quiet", "--json"}
	stdout, stderr, code := runCLI(t, append(args, "--iters", "3")...)
	if code != 0 {
		t.Fatalf("train bptt --learn-model: exit %d: %s", code, stderr)
	}
	sum := lastJSON(t, stdout)
	if sum["dynamics"] != "learned" || sum["env_steps"] != float64(60) || sum["refit_every"] != float64(2) {
		t.Errorf("summary: dynamics %v env_steps %v refit_every %v", sum["dynamics"], sum["env_steps"], sum["refit_every"])
	}
	ckpt := filepath.Join(run, "final.safetensors")
	c, err := checkpoints.Load(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range c.Meta.Models {
		names = append(names, m.Name)
	}
	if strings.Join(names, ",") != "policy,dynamics" {
		t.Errorf("checkpoint models %v, want policy,dynamics", names)
	}
	if _, stderr, code := runCLI(t, "eval", "--checkpoint", ckpt, "--episodes", "2", "--quiet"); code != 0 {
		t.Fatalf("eval of the loop's checkpoint: exit %d: %s", code, stderr)
	}
	stdout, stderr, code = runCLI(t, append(args, "--iters", "5", "--resume", filepath.Join(run, "latest.safetensors"))...)
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	if got := lastJSON(t, stdout)["env_steps"]; got != float64(80) {
		t.Errorf("resumed run's env_steps %v, want 80", got)
	}
}
