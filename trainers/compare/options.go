package compare

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Options are a comparison as a command line gives it: the method specs
// and seeds as the text ParseMethods and ParseSeeds read.
type Options struct {
	Env, Methods, Seeds string
	EvalSeed            uint64
	Episodes            int
	Target              *float64
	// Python and GymKwargs are the --python and --gym-kwargs of a gym:
	// env ("": not given), forwarded to every run (Plan).
	Python, GymKwargs string
	// Dir is the comparison folder ("": runs/compare-ENV-TIMESTAMP of
	// the time given to NewPlan).
	Dir string
}

// NewPlan parses and validates o. known lists the valid training methods
// (an unknown method is an error); now names the default folder.
func NewPlan(o Options, known []string, now time.Time) (*Plan, error) {
	specs, err := ParseMethods(o.Methods)
	if err != nil {
		return nil, err
	}
	for _, sp := range specs {
		if !slices.Contains(known, sp.Method) {
			return nil, fmt.Errorf("compare: %q: unknown method %q (valid: %s)", sp.Text, sp.Method, strings.Join(known, ", "))
		}
	}
	seeds, err := ParseSeeds(o.Seeds)
	if err != nil {
		return nil, err
	}
	dir := o.Dir
	if dir == "" {
		dir = filepath.Join("runs", fmt.Sprintf("compare-%s-%s", o.Env, now.Format("20060102-150405")))
	}
	p := &Plan{Env: o.Env, Methods: specs, Seeds: seeds, EvalSeed: o.EvalSeed, Episodes: o.Episodes, Target: o.Target,
		Python: o.Python, GymKwargs: o.GymKwargs, Dir: dir}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// RunIndexCommand is the command line that runs one job of p given its
// index as the next argument ("mbrl compare ... --run-index").
func (p *Plan) RunIndexCommand(bin string) []string {
	var methods []string
	for _, sp := range p.Methods {
		methods = append(methods, sp.Text)
	}
	cmd := append([]string{bin, "compare"}, p.envArgs()...)
	cmd = append(cmd, "--methods", strings.Join(methods, ","),
		"--seeds", FormatSeeds(p.Seeds), "--eval-seed", strconv.FormatUint(p.EvalSeed, 10),
		"--episodes", strconv.Itoa(p.Episodes), "--out", p.Dir)
	if p.Target != nil {
		cmd = append(cmd, "--target", strconv.FormatFloat(*p.Target, 'g', -1, 64))
	}
	return append(cmd, "--run-index")
}

// JobAt returns the job whose index is the text index.
func (p *Plan) JobAt(index string) (Job, error) {
	jobs := p.Jobs()
	i, err := strconv.Atoi(index)
	if err != nil || i < 0 || i >= len(jobs) {
		return Job{}, fmt.Errorf("compare: --run-index %q is not an index between 0 and %d", index, len(jobs)-1)
	}
	return jobs[i], nil
}

// EmitRunIndex writes the plan and the cluster file of kind (Emit) whose
// index i runs RunIndexCommand with i. A Slurm node runs bin, made
// absolute, from the shared file system; a Kubernetes pod runs the mbrl
// of its image.
func (p *Plan) EmitRunIndex(kind, bin string) (string, error) {
	cfg := EmitConfig{Binary: "mbrl"}
	if kind == "slurm" {
		if abs, err := filepath.Abs(bin); err == nil {
			cfg.Binary = abs
		}
	}
	cfg.Command = p.RunIndexCommand(cfg.Binary)
	return p.Emit(kind, cfg)
}

// String is the one-line progress report of a finished run.
func (r RunResult) String() string {
	s := fmt.Sprintf("%s seed %d: ", r.Method, r.Seed)
	switch {
	case r.Status == StatusFailed:
		return s + "FAILED " + r.Error
	case r.Status == StatusMissing:
		return s + "missing (not trained)"
	case r.Return != nil:
		s += fmt.Sprintf("return %.1f", *r.Return)
	default:
		s += "trained (no policy to evaluate)"
	}
	if r.WallSeconds != nil {
		s += fmt.Sprintf(", %.1f s", *r.WallSeconds)
	}
	if r.Reused {
		s += " (reused)"
	}
	return s
}

// Executable returns bin, or when it is empty the path of the running
// executable: the mbrl binary the runs use.
func Executable(bin string) (string, error) {
	if bin != "" {
		return bin, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("compare: locate the mbrl binary: %w (give --binary)", err)
	}
	return exe, nil
}
