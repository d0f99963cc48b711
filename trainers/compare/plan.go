package compare

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/mbrl/mbrl/checkpoints"
)

// Plan is one comparison: every method spec trained on every seed in env,
// each final policy evaluated on the same starts (EvalSeed, Episodes).
type Plan struct {
	Env     string
	Methods []Spec
	Seeds   []uint64
	// EvalSeed selects the evaluation starts ("mbrl eval --seed"); every
	// policy and the optimum are evaluated on the same ones.
	EvalSeed uint64
	// Episodes is the number of evaluation episodes per run.
	Episodes int
	// Target, when set, is the return whose first reaching (in the
	// evaluations during training) is counted in real env steps; when nil
	// the runs' own target_return/steps_to_threshold are used if present.
	Target *float64
	// Python and GymKwargs, when not "", are passed to every run as
	// --python and --gym-kwargs (the options of a gym: env: the
	// interpreter that runs the bridge and gym.make's keyword arguments).
	Python, GymKwargs string
	// Dir is the comparison folder; run i lives in Dir/<spec>/seed-<S>.
	Dir string
}

// Validate checks the plan for user errors.
func (p *Plan) Validate() error {
	switch {
	case p.Env == "":
		return fmt.Errorf("compare: no env given (e.g. --env pendulum; see 'mbrl envs')")
	case len(p.Methods) == 0:
		return fmt.Errorf("compare: no methods given (e.g. --methods bptt,gps,dagger:plans=16)")
	case len(p.Seeds) == 0:
		return fmt.Errorf("compare: no seeds given (e.g. --seeds 1-5)")
	case p.Episodes < 1:
		return fmt.Errorf("compare: --episodes must be at least 1, got %d", p.Episodes)
	case p.Dir == "":
		return fmt.Errorf("compare: no output folder given (--out DIR)")
	}
	return nil
}

// Job is one (method spec, seed) run of a plan.
type Job struct {
	// Index is the job's position in Plan.Jobs: the Slurm array index and
	// the Kubernetes completion index.
	Index int
	Spec  Spec
	Seed  uint64
	// Dir is the run folder.
	Dir string
}

// Jobs lists every (spec, seed) pair: specs in the order given, and for
// each spec its seeds in the order given. The order is fixed, so index i
// names the same run on every machine.
func (p *Plan) Jobs() []Job {
	jobs := make([]Job, 0, len(p.Methods)*len(p.Seeds))
	for _, sp := range p.Methods {
		for _, s := range p.Seeds {
			jobs = append(jobs, Job{
				Index: len(jobs), Spec: sp, Seed: s,
				Dir: filepath.Join(p.Dir, sp.DirName(), "seed-"+strconv.FormatUint(s, 10)),
			})
		}
	}
	return jobs
}

// TrainArgs returns the arguments of the job's training run (without the
// program name): "train METHOD --env E --seed S --out RUN --quiet --json
// [--option=value ...]".
func (p *Plan) TrainArgs(j Job) []string {
	args := append([]string{"train", j.Spec.Method}, p.envArgs()...)
	args = append(args, "--seed", strconv.FormatUint(j.Seed, 10), "--out", j.Dir, "--quiet", "--json")
	return append(args, j.Spec.Args()...)
}

// envArgs returns "--env E" and, when set, "--python P" and "--gym-kwargs K".
func (p *Plan) envArgs() []string {
	args := []string{"--env", p.Env}
	if p.Python != "" {
		args = append(args, "--python", p.Python)
	}
	if p.GymKwargs != "" {
		args = append(args, "--gym-kwargs", p.GymKwargs)
	}
	return args
}

// EvalArgs returns the arguments of the evaluation of checkpoint ckpt on
// the plan's starts.
func (p *Plan) EvalArgs(ckpt string) []string {
	args := append([]string{"eval", "--checkpoint", ckpt}, p.envArgs()...)
	return append(args, "--seed", strconv.FormatUint(p.EvalSeed, 10), "--episodes", strconv.Itoa(p.Episodes), "--quiet", "--json")
}

// OptimumArgs returns the arguments of "mbrl optimum" on the plan's starts.
func (p *Plan) OptimumArgs() []string {
	args := append([]string{"optimum"}, p.envArgs()...)
	return append(args, "--seed", strconv.FormatUint(p.EvalSeed, 10), "--episodes", strconv.Itoa(p.Episodes), "--json")
}

// planFile is the plan as saved in DIR/plan.json.
type planFile struct {
	Env      string   `json:"env"`
	Methods  []string `json:"methods"`
	Seeds    string   `json:"seeds"`
	EvalSeed uint64   `json:"eval_seed"`
	Episodes int      `json:"episodes"`
	Target   *float64 `json:"target,omitempty"`
	Python   string   `json:"python,omitempty"`
	Kwargs   string   `json:"gym_kwargs,omitempty"`
}

// PlanFile is the name of the file in the comparison folder that records
// the plan, so that Collect can rebuild it.
const PlanFile = "plan.json"

// Save writes the plan to Dir/plan.json.
func (p *Plan) Save() error {
	f := planFile{Env: p.Env, Seeds: FormatSeeds(p.Seeds), EvalSeed: p.EvalSeed, Episodes: p.Episodes, Target: p.Target,
		Python: p.Python, Kwargs: p.GymKwargs}
	for _, sp := range p.Methods {
		f.Methods = append(f.Methods, sp.Text)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("compare: encode plan: %w", err)
	}
	return writeFileAtomic(filepath.Join(p.Dir, PlanFile), append(b, '\n'))
}

// LoadPlan reads the plan that Save wrote into dir.
func LoadPlan(dir string) (*Plan, error) {
	b, err := os.ReadFile(filepath.Join(dir, PlanFile))
	if err != nil {
		return nil, fmt.Errorf("compare: %s is not a comparison folder (no %s: run 'mbrl compare --emit' or 'mbrl compare' into it first)", dir, PlanFile)
	}
	var f planFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("compare: %s: %v", filepath.Join(dir, PlanFile), err)
	}
	p := &Plan{Env: f.Env, EvalSeed: f.EvalSeed, Episodes: f.Episodes, Target: f.Target,
		Python: f.Python, GymKwargs: f.Kwargs, Dir: dir}
	for _, m := range f.Methods {
		sp, err := parseSpec(m)
		if err != nil {
			return nil, err
		}
		p.Methods = append(p.Methods, sp)
	}
	if p.Seeds, err = ParseSeeds(f.Seeds); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, filepath.Join(dir, PlanFile))
	}
	return p, nil
}

// writeFileAtomic writes data to a temporary file beside path, syncs it and
// renames it into place (checkpoints.WriteFileAtomic: mode 0644, never
// over a device or FIFO), so readers never see half a file.
func writeFileAtomic(path string, data []byte) error {
	if err := checkpoints.WriteFileAtomic(path, data); err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	return nil
}
