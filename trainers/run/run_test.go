package run

import (
	"os"
	"path/filepath"
	"testing"

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
