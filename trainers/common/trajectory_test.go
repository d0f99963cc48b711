package common

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mbrl/mbrl/envs"
)

// TestRecordEpisodeCaps checks RecordEpisode's step caps: a replay stops
// after its actions, maxSteps stops earlier, and otherwise the env's limit
// holds.
func TestRecordEpisodeCaps(t *testing.T) {
	replay := func() Policy { return &ReplayPolicy{Actions: [][]float64{{1}, {-1}, {0.5}}} }
	cases := []struct {
		name     string
		pol      func() Policy
		maxSteps int
		want     int
	}{
		{"replay", replay, 0, 3},
		{"replay, shorter cap", replay, 2, 2},
		{"replay, longer cap", replay, 50, 3},
		{"env limit", func() Policy { return ZeroPolicy{} }, 0, 200},
		{"max steps", func() Policy { return ZeroPolicy{} }, 7, 7},
	}
	for _, c := range cases {
		env, err := envs.Make("pendulum")
		if err != nil {
			t.Fatal(err)
		}
		ep, steps, err := RecordEpisode(env, c.pol(), rand.New(rand.NewPCG(1, 0)), nil, c.maxSteps)
		if err != nil || ep.Steps != c.want || len(steps) != c.want {
			t.Errorf("%s: %d steps (%d recorded), %v; want %d", c.name, ep.Steps, len(steps), err, c.want)
		}
	}
}

func TestWriteTrajectoryFile(t *testing.T) {
	env, _ := envs.Make("pendulum")
	_, steps, err := RecordEpisode(env, ZeroPolicy{}, rand.New(rand.NewPCG(1, 0)), nil, 3)
	if err != nil {
		t.Fatal(err)
	}
	var want, stdout bytes.Buffer
	if err := WriteTrajectoryCSV(&want, steps); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "traj.csv")
	for _, p := range []string{"", "-", path} {
		if err := WriteTrajectoryFile(p, &stdout, steps); err != nil {
			t.Fatalf("%q: %v", p, err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want.String() || stdout.String() != want.String() {
		t.Fatalf("file %q (%v), stdout %q; want both %q", got, err, stdout.String(), want.String())
	}
	if n := strings.Count(want.String(), "\n"); n != 4 {
		t.Errorf("%d lines, want a header and 3 steps", n)
	}
}
