package config

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestMemoryCheck(t *testing.T) {
	cases := []struct {
		name  string
		build func(m *Memory)
		avail float64
		field string // "" for accepted
		msg   string
	}{
		{"fits", func(m *Memory) { m.Floats("Batch", 1000, 10) }, 1e6, "", ""},
		{"unknown availability accepts", func(m *Memory) { m.Floats("Hidden", 1e15) }, 0, "", ""},
		{"largest term named", func(m *Memory) {
			m.Floats("Batch", 10)
			m.Floats("Hidden", 1e9)
		}, 1e6, "Hidden", "needs about 8 GB of memory (8 GB in all), more than the 1 MB available; use smaller values"},
		{"product names the largest factor", func(m *Memory) {
			m.Product(8, Factor{"Batch", 64}, Factor{"Hidden", 1e11}, Factor{"Horizon", 50})
		}, 1e9, "Hidden", "needs about 2.56 PB of memory (2.56 PB in all), more than the 1 GB available; use smaller values"},
		{"saturates", func(m *Memory) { m.Floats("Hidden", 1e200, 1e200) }, 1e9, "Hidden", "needs about more than 1e27 B of memory (more than 1e27 B in all), more than the 1 GB available; use smaller values"},
		{"sum of small terms", func(m *Memory) {
			m.Add("A", 6e5)
			m.Add("B", 5e5)
		}, 1e6, "A", "needs about 600 kB of memory (1.1 MB in all), more than the 1 MB available; use smaller values"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := Memory{Pkg: "p"}
			c.build(&m)
			err := m.Check(c.avail)
			if c.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Pkg != "p" || e.Field != c.field || e.Msg != c.msg {
				t.Fatalf("got %#v, want p.%s %q", err, c.field, c.msg)
			}
		})
	}
}

func TestMemoryAsAndMerge(t *testing.T) {
	inner := Memory{Pkg: "model"}
	inner.Floats("Fit.Hidden", 1e12)
	outer := Memory{Pkg: "mpc"}
	outer.Merge(inner.As("mpc"))
	var e *Error
	if err := outer.Check(1); !errors.As(err, &e) || e.Pkg != "mpc" || e.Field != "Fit.Hidden" {
		t.Fatalf("got %v", err)
	}
	if got := outer.Bytes(); got != 8e12 {
		t.Fatalf("Bytes = %v, want 8e12", got)
	}
}

func TestMLPParams(t *testing.T) {
	// 3 -> 64 -> 64 -> 1: 3*64+64 + 64*64+64 + 64+1.
	if got, want := MLPParams(3, []int{64, 64}, 1), float64(3*64+64+64*64+64+64+1); got != want {
		t.Fatalf("MLPParams = %v, want %v", got, want)
	}
	if got := MLPParams(2, nil, 3); got != 9 {
		t.Fatalf("linear: %v, want 9", got)
	}
	if got := MLPWidths([]int{64, 32}, 1); got != 97 {
		t.Fatalf("MLPWidths = %v", got)
	}
}

func TestMeminfoAndAvailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meminfo")
	os.WriteFile(path, []byte("MemTotal:       24683652 kB\nMemFree:  1 kB\nMemAvailable:   23877004 kB\n"), 0o644)
	if v, ok := meminfo(path, "MemAvailable"); !ok || v != 23877004*1024 {
		t.Fatalf("MemAvailable = %v, %v", v, ok)
	}
	if _, ok := meminfo(path, "SwapTotal"); ok {
		t.Fatal("found a missing key")
	}
	if runtime.GOOS == "linux" {
		if v, src := Available(); v <= 0 || math.IsInf(v, 0) || src == "" {
			t.Fatalf("Available() = %v from %q on Linux", v, src)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	for _, c := range []struct {
		b    float64
		want string
	}{{0, "0 B"}, {999, "999 B"}, {1500, "1.5 kB"}, {23.9e9, "23.9 GB"}, {4e13, "40 TB"}, {math.Inf(1), "more than 1e27 B"}} {
		if got := FormatBytes(c.b); got != c.want {
			t.Errorf("FormatBytes(%v) = %q, want %q", c.b, got, c.want)
		}
	}
}
