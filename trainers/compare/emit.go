package compare

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// EmitConfig configures the cluster files of Slurm and Kubernetes.
type EmitConfig struct {
	// Command is the command line (program and arguments) that runs one
	// job given its index, which the emitted file appends as the last
	// argument, e.g. ["mbrl", "compare", "--env", "pendulum", ...,
	// "--run-index"]. Job i must run Plan.TrainArgs(Jobs()[i]).
	Command []string
	// Binary is the program name shown in the listed train command lines
	// (default "mbrl").
	Binary string
	// CPUs per task (default 2).
	CPUs int
	// Image is the container image of the Kubernetes Job (default
	// "mbrl:latest": an image with the mbrl binary on its PATH).
	Image string
	// Claim is the PersistentVolumeClaim mounted as the working directory
	// of every pod (default "mbrl-runs"), so the run folders are shared.
	Claim string
}

func (c EmitConfig) withDefaults() EmitConfig {
	if c.Binary == "" {
		c.Binary = "mbrl"
	}
	if c.CPUs <= 0 {
		c.CPUs = 2
	}
	if c.Image == "" {
		c.Image = "mbrl:latest"
	}
	if c.Claim == "" {
		c.Claim = "mbrl-runs"
	}
	return c
}

// SlurmFile and KubernetesFile are the names of the emitted files in the
// comparison folder.
const (
	SlurmFile      = "compare.slurm"
	KubernetesFile = "compare-job.yaml"
)

// jobListing returns the comment lines that list each index's train
// command line.
func (p *Plan) jobListing(binary string) string {
	var b strings.Builder
	for _, j := range p.Jobs() {
		fmt.Fprintf(&b, "#   %d: %s\n", j.Index, ShellJoin(append([]string{binary}, p.TrainArgs(j)...)))
	}
	return b.String()
}

// Slurm returns a Slurm job-array script: array index i runs job i of
// the plan (its "mbrl train" command line into the shared run folder, then
// the evaluation of its final checkpoint). Submit it with sbatch from the
// folder the comparison folder is relative to, on a file system every node
// shares; then "mbrl compare --collect DIR" builds the leaderboard.
func (p *Plan) Slurm(cfg EmitConfig) string {
	cfg = cfg.withDefaults()
	n := len(p.Jobs())
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=%s\n", jobName(p.Env))
	fmt.Fprintf(&b, "#SBATCH --array=0-%d\n", n-1)
	fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", cfg.CPUs)
	fmt.Fprintf(&b, "#SBATCH --output=%s/slurm-%%A_%%a.out\n", p.Dir)
	fmt.Fprintf(&b, "#\n# mbrl compare on %s: %d runs (method x seed), one per array index.\n", p.Env, n)
	fmt.Fprintf(&b, "# On a file system every node shares, from the folder mbrl compare ran in:  sbatch %s\n", shellQuote(p.Dir+"/"+SlurmFile))
	fmt.Fprintf(&b, "# When every task has finished:  %s compare --collect %s\n", cfg.Binary, shellQuote(p.Dir))
	b.WriteString("# Index i runs this train command line into its run folder, then evaluates\n")
	fmt.Fprintf(&b, "# its final checkpoint with 'mbrl eval --seed %d --episodes %d':\n", p.EvalSeed, p.Episodes)
	b.WriteString(p.jobListing(cfg.Binary))
	b.WriteString("set -eu\n")
	b.WriteString("export GOMAXPROCS=\"${SLURM_CPUS_PER_TASK:-1}\"\n")
	fmt.Fprintf(&b, "exec %s \"$SLURM_ARRAY_TASK_ID\"\n", ShellJoin(cfg.Command))
	return b.String()
}

// Kubernetes returns a batch/v1 Job manifest with completionMode Indexed
// and one completion per job: the pod with completion index i runs job i
// (the index comes from $JOB_COMPLETION_INDEX, which the Job controller
// sets). Every pod works in a shared PersistentVolumeClaim.
func (p *Plan) Kubernetes(cfg EmitConfig) (string, error) {
	cfg = cfg.withDefaults()
	n := len(p.Jobs())
	args := append([]string{}, cfg.Command...)
	args = append(args, "$(JOB_COMPLETION_INDEX)")
	cpu := fmt.Sprint(cfg.CPUs)
	job := map[string]any{
		"apiVersion": "batch/v1",
		"kind":       "Job",
		"metadata":   map[string]any{"name": jobName(p.Env)},
		"spec": map[string]any{
			"completionMode": "Indexed",
			"completions":    n,
			"parallelism":    n,
			"backoffLimit":   3,
			"template": map[string]any{
				"spec": map[string]any{
					"restartPolicy": "Never",
					"containers": []any{map[string]any{
						"name":       "mbrl",
						"image":      cfg.Image,
						"workingDir": "/data",
						"command":    args,
						"env":        []any{map[string]any{"name": "GOMAXPROCS", "value": cpu}},
						"resources": map[string]any{
							"requests": map[string]any{"cpu": cpu},
							"limits":   map[string]any{"cpu": cpu},
						},
						"volumeMounts": []any{map[string]any{"name": "runs", "mountPath": "/data"}},
					}},
					"volumes": []any{map[string]any{
						"name":                  "runs",
						"persistentVolumeClaim": map[string]any{"claimName": cfg.Claim},
					}},
				},
			},
		},
	}
	var body bytes.Buffer
	enc := yaml.NewEncoder(&body)
	enc.SetIndent(2)
	if err := enc.Encode(job); err != nil {
		return "", fmt.Errorf("compare: encode Kubernetes Job: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("compare: encode Kubernetes Job: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# mbrl compare on %s: %d runs (method x seed) as an Indexed Job; pod i runs job i.\n", p.Env, n)
	fmt.Fprintf(&b, "# The image must hold the mbrl binary; the claim %q is mounted at /data, the\n", cfg.Claim)
	b.WriteString("# working directory, so relative run folders land on the shared volume.\n")
	fmt.Fprintf(&b, "# Apply: kubectl apply -f %s\n", KubernetesFile)
	fmt.Fprintf(&b, "# When every index has completed, in /data:  %s compare --collect %s\n", cfg.Binary, shellQuote(p.Dir))
	fmt.Fprintf(&b, "# Index i runs this train command line, then evaluates its final checkpoint\n# with 'mbrl eval --seed %d --episodes %d':\n", p.EvalSeed, p.Episodes)
	b.WriteString(p.jobListing(cfg.Binary))
	b.Write(body.Bytes())
	return b.String(), nil
}

// Emit saves the plan into its folder and writes the cluster file of the
// given kind beside it: "slurm" (SlurmFile) or "k8s" (KubernetesFile). It
// returns the file's path.
func (p *Plan) Emit(kind string, cfg EmitConfig) (string, error) {
	var name, body string
	switch kind {
	case "slurm":
		name, body = SlurmFile, p.Slurm(cfg)
	case "k8s":
		var err error
		if body, err = p.Kubernetes(cfg); err != nil {
			return "", err
		}
		name = KubernetesFile
	default:
		return "", fmt.Errorf("compare: unknown --emit %q (valid: slurm, k8s)", kind)
	}
	if err := p.Save(); err != nil {
		return "", err
	}
	path := filepath.Join(p.Dir, name)
	return path, writeFileAtomic(path, []byte(body))
}

// jobName returns a Slurm and Kubernetes (DNS-1123 label) job name.
func jobName(env string) string {
	var b strings.Builder
	b.WriteString("mbrl-compare-")
	for _, c := range strings.ToLower(env) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		} else {
			b.WriteByte('-')
		}
	}
	s := strings.TrimRight(b.String(), "-")
	if len(s) > 63 {
		s = strings.TrimRight(s[:63], "-")
	}
	return s
}

// ShellJoin quotes words for a POSIX shell and joins them with spaces.
func ShellJoin(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = shellQuote(w)
	}
	return strings.Join(q, " ")
}

// shellQuote returns w unchanged if it holds only characters a shell
// leaves alone, else in single quotes.
func shellQuote(w string) string {
	if w == "" {
		return "''"
	}
	safe := true
	for _, c := range w {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./=:,+%@", c)) {
			safe = false
			break
		}
	}
	if safe {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}
