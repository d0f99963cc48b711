package compare

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestRunJobFromFolder checks what RunJob reads from a finished run folder
// without running anything: a trained run without a policy checkpoint
// (nothing to evaluate), its env steps, and the steps to the target from
// the summary (dyna's target_return and steps_to_threshold) or, for
// another target, from metrics.csv.
func TestRunJobFromFolder(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	cases := []struct {
		name      string
		summary   string
		target    *float64
		wantT     *float64
		wantSteps *float64
	}{
		{"summary target reached", `{"env":"cartpole","env_steps":5000,"wall_seconds":12.5,"target_return":475,"steps_to_threshold":3000}`, nil, f(475), f(3000)},
		{"summary target never", `{"env":"cartpole","env_steps":5000,"target_return":475,"steps_to_threshold":null}`, nil, f(475), nil},
		{"same target given", `{"env":"cartpole","env_steps":5000,"target_return":475,"steps_to_threshold":3000}`, f(475), f(475), f(3000)},
		{"other target from metrics", `{"env":"cartpole","env_steps":5000,"target_return":475,"steps_to_threshold":3000}`, f(100), f(100), f(1000)},
		{"no target", `{"env":"cartpole","env_steps":5000}`, nil, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			specs, _ := ParseMethods("dyna")
			p := &Plan{Env: "cartpole", Methods: specs, Seeds: []uint64{1}, EvalSeed: 11, Episodes: 5, Target: c.target, Dir: t.TempDir()}
			j := p.Jobs()[0]
			os.MkdirAll(j.Dir, 0o755)
			os.WriteFile(filepath.Join(j.Dir, SummaryFile), []byte(c.summary), 0o644)
			os.WriteFile(filepath.Join(j.Dir, "metrics.csv"), []byte("iter,env_steps,eval_return\n0,500,50\n1,1000,150\n2,3000,480\n"), 0o644)
			r := &Runner{Binary: filepath.Join(t.TempDir(), "never-run")}
			res := r.RunJob(context.Background(), p, j)
			if res.Status != StatusDone || !res.Reused || res.Return != nil || *res.EnvSteps != 5000 {
				t.Fatalf("result %+v", res)
			}
			if !eqPtr(res.Target, c.wantT) || !eqPtr(res.StepsToTarget, c.wantSteps) {
				t.Errorf("target %v steps %v, want %v and %v", deref(res.Target), deref(res.StepsToTarget), deref(c.wantT), deref(c.wantSteps))
			}
		})
	}
}

// TestRunJobOtherEnv refuses to reuse a run folder trained on another env.
func TestRunJobOtherEnv(t *testing.T) {
	specs, _ := ParseMethods("bc")
	p := &Plan{Env: "pendulum", Methods: specs, Seeds: []uint64{1}, EvalSeed: 11, Episodes: 5, Dir: t.TempDir()}
	j := p.Jobs()[0]
	os.MkdirAll(j.Dir, 0o755)
	os.WriteFile(filepath.Join(j.Dir, SummaryFile), []byte(`{"env":"cartpole"}`), 0o644)
	res := (&Runner{Binary: "never-run"}).RunJob(context.Background(), p, j)
	if res.Status != StatusFailed {
		t.Fatalf("status %q, want failed", res.Status)
	}
	if b, err := os.ReadFile(filepath.Join(j.Dir, ErrorFile)); err != nil || len(b) == 0 {
		t.Errorf("no error.txt: %v", err)
	}
}

func eqPtr(a, b *float64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func deref(a *float64) any {
	if a == nil {
		return nil
	}
	return *a
}
