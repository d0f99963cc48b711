package run

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mbrl/mbrl/trainers/common"
)

func TestMetricsCSVWidensForLateColumns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.csv")
	m, err := openMetrics(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Append([]common.Metric{{Name: "iter", Value: 1}, {Name: "loss", Value: 0.5}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Append([]common.Metric{{Name: "iter", Value: 2}, {Name: "loss", Value: 0.25}, {Name: "eval_return", Value: -150}}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	want := "iter,loss,eval_return\n1,0.5,\n2,0.25,-150\n"
	if string(b) != want {
		t.Fatalf("metrics.csv =\n%s\nwant\n%s", b, want)
	}
}

// TestMetricsResumeAt resumes metrics.csv at iteration 2 of 3: the row of
// iteration 3 (to be run again) goes, and the clock continues from
// iteration 2's wall_s.
func TestMetricsResumeAt(t *testing.T) {
	cases := []struct {
		name, file string
		start      int
		wall       float64
		after      string
	}{
		{"drops later rows", "iter,wall_s,loss\n1,0.5,3\n2,1.25,2\n3,2,1\n", 2, 1.25, "iter,wall_s,loss\n1,0.5,3\n2,1.25,2\n"},
		{"all kept", "iter,wall_s\n1,0.5\n2,1.5\n", 2, 1.5, "iter,wall_s\n1,0.5\n2,1.5\n"},
		{"no file", "", 4, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "metrics.csv")
			if c.file != "" {
				os.WriteFile(path, []byte(c.file), 0o644)
			}
			m, err := openMetrics(path, true)
			if err != nil {
				t.Fatal(err)
			}
			wall, err := m.resumeAt(c.start)
			b, _ := os.ReadFile(path)
			if err != nil || wall != c.wall || string(b) != c.after {
				t.Fatalf("wall %v, file %q, err %v; want %v, %q", wall, b, err, c.wall, c.after)
			}
		})
	}
}

func TestHistory(t *testing.T) {
	var h History
	h.add([]common.Metric{{Name: "a", Value: 1}, {Name: "b", Value: 4}})
	h.add([]common.Metric{{Name: "a", Value: 3}})
	cases := []struct {
		name string
		got  float64
		want float64
	}{
		{"first a", h.First()["a"], 1},
		{"last a", h.Last()["a"], 3},
		{"last b (absent)", h.Last()["b"], 0},
		{"mean a", first(h.Mean("a")), 2},
		{"latest b", first(h.Latest("b")), 4},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if _, n := h.Mean("c"); n != 0 {
		t.Errorf("mean of an absent metric counts %d rows", n)
	}
}

func first[T any](v float64, _ T) float64 { return v }

func TestOpenRefusesAnExistingRun(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Method: "m", Env: "e", Dir: dir, Settings: map[string]any{"a": 1}}
	r, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	cases := []struct {
		name    string
		change  func(*Config)
		refused bool
	}{
		{"fresh run into the folder", func(*Config) {}, true},
		{"--force", func(c *Config) { c.Force = true }, false},
		{"--resume", func(c *Config) { c.Resume = filepath.Join(dir, "latest.safetensors") }, false},
	}
	for _, c := range cases {
		cc := cfg
		c.change(&cc)
		r, err := Open(cc)
		if got := errors.Is(err, ErrRunExists); got != c.refused {
			t.Errorf("%s: error %v, refused %v, want %v", c.name, err, got, c.refused)
		}
		var in *InputError
		if c.refused && !errors.As(err, &in) {
			t.Errorf("%s: %v is not an input error", c.name, err)
		}
		if r != nil {
			r.Close()
		}
	}
}

func TestOpenLocksTheFolder(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no flock")
	}
	cfg := Config{Method: "m", Env: "e", Dir: t.TempDir(), Force: true}
	first, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(cfg); !errors.Is(err, ErrLocked) {
		t.Fatalf("second writer: %v, want ErrLocked", err)
	}
	first.Close()
	second, err := Open(cfg)
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	second.Close()
}

func TestDefaultDirIsUnique(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 15, 0, 0, time.UTC)
	a, b := DefaultDir("gps", "pendulum", 1, now), DefaultDir("gps", "pendulum", 1, now.Add(time.Microsecond))
	if a == b || !strings.HasPrefix(a, filepath.Join("runs", "gps-pendulum-1-20261125-101500.000000-")) ||
		!strings.HasSuffix(a, "-"+strconv.Itoa(os.Getpid())) {
		t.Fatalf("default folders %s and %s", a, b)
	}
}
