package report_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mbrl/mbrl/trainers/report"
)

// TestRender checks the parts of a run's and a comparison's page without
// a browser: the at-a-glance box, the command line, the tables and the
// inline plots.
func TestRender(t *testing.T) {
	cases := []struct {
		name string
		dir  func(*testing.T) string
		want []string
	}{
		{"run", runFixture, []string{
			"<title>dagger on pendulum, seed 1</title>",
			"What was trained", "A neural policy by DAgger",
			"How well", "mean return -150.2 ± 80.1 (std) over 100 evaluation episodes", "The expert it imitates: -145.",
			"How long", "12.5 s of wall-clock time (3 iterations, 12000 expert labels)",
			"mbrl train dagger --env pendulum --hidden 64,64 --seed 1",
			"Metrics (metrics.csv)", `<td class="num">-150.2</td>`,
			"<svg", `src="data:image/png;base64,`,
			"This run wrote no final checkpoint",
		}},
		{"compare", compareFixture, []string{
			"Comparison on pendulum: 2 methods over seeds 1-3",
			"Best: dagger with interquartile mean return -145.0",
			"optimum (dynamic programming)", "<svg", "Leaderboard",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := report.Render(c.dir(t))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
}

// TestRenderRefuses checks that a missing folder and a folder that holds
// no run are usage errors (ErrNotReportable).
func TestRenderRefuses(t *testing.T) {
	empty := t.TempDir()
	file := filepath.Join(empty, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{filepath.Join(empty, "missing"), empty, file} {
		if _, err := report.Render(dir); !errors.Is(err, report.ErrNotReportable) {
			t.Errorf("Render(%s): %v, want ErrNotReportable", dir, err)
		}
	}
}
