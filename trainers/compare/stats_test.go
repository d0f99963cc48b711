package compare

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

func TestIQM(t *testing.T) {
	cases := []struct {
		name string
		x    []float64
		want float64
	}{
		{"one", []float64{5}, 5},
		{"two: nothing trimmed", []float64{1, 3}, 2},
		{"three: nothing trimmed", []float64{1, 2, 9}, 4},
		{"four: trim one each end", []float64{4, 1, 3, 2}, 2.5},
		{"five: outlier trimmed", []float64{1, 2, 3, 4, 100}, 3},
		{"eight: trim two each end", []float64{-100, 1, 2, 3, 4, 5, 6, 1000}, 3.5},
		{"unsorted eight", []float64{8, 7, 6, 5, 4, 3, 2, 1}, 4.5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := IQM(c.x); got != c.want {
				t.Errorf("IQM(%v) = %v, want %v", c.x, got, c.want)
			}
		})
	}
	if !math.IsNaN(IQM(nil)) || !math.IsNaN(Mean(nil)) || !math.IsNaN(Median(nil)) {
		t.Error("statistics of no values must be NaN")
	}
}

func TestMedian(t *testing.T) {
	inf := math.Inf(1)
	cases := []struct {
		x    []float64
		want float64
	}{
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{1000, inf, 3000, 2000, inf}, 3000},
		{[]float64{1000, inf}, inf},
		{[]float64{inf, inf, 1000}, inf},
	}
	for _, c := range cases {
		if got := Median(c.x); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.x, got, c.want)
		}
	}
}

// normalSample returns n draws of N(mu, sd^2) from a fixed seed.
func normalSample(n int, mu, sd float64) []float64 {
	rng := rand.New(rand.NewPCG(42, 7))
	x := make([]float64, n)
	for i := range x {
		x[i] = mu + sd*rng.NormFloat64()
	}
	return x
}

func TestBootstrapCI(t *testing.T) {
	x := []float64{-140.2, -139.1, -772.2, -763.6, -138.7}
	cfg := BootstrapConfig{Seed: 3, Stream: 9}
	for _, st := range []struct {
		name string
		fn   func([]float64) float64
	}{{"mean", Mean}, {"median", Median}, {"iqm", IQM}} {
		t.Run(st.name, func(t *testing.T) {
			a := BootstrapCI([][]float64{x}, st.fn, cfg)
			b := BootstrapCI([][]float64{x}, st.fn, cfg)
			if a != b {
				t.Fatalf("same seed, different intervals: %v vs %v", a, b)
			}
			est := st.fn(x)
			if !(a.Lo <= est && est <= a.Hi) {
				t.Errorf("interval %v does not contain the estimate %v", a, est)
			}
			if a.Lo < -772.2 || a.Hi > -138.7 || a.Lo >= a.Hi {
				t.Errorf("interval %v is not a proper sub-range of the data", a)
			}
		})
	}
	// Another stream gives another (still valid) interval: the RNG is used.
	a := BootstrapCI([][]float64{x}, Mean, cfg)
	c := BootstrapCI([][]float64{x}, Mean, BootstrapConfig{Seed: 3, Stream: 10})
	if a == c {
		t.Errorf("different streams gave the same interval %v", a)
	}
	// Constant data: a degenerate interval.
	if ci := BootstrapCI([][]float64{{2, 2, 2}}, IQM, cfg); ci.Lo != 2 || ci.Hi != 2 {
		t.Errorf("constant data: %v", ci)
	}
	if ci := BootstrapCI(nil, Mean, cfg); !math.IsNaN(ci.Lo) || !math.IsNaN(ci.Hi) {
		t.Errorf("no data: %v, want NaN bounds", ci)
	}
}

// TestBootstrapCIWidth checks the interval against the normal theory for
// the mean of 200 draws of N(0, 1): 95% half-width 1.96/sqrt(200) = 0.139.
// The bootstrap's is within 15% of it (resampling noise with 2000
// resamples and the sample's own standard deviation).
func TestBootstrapCIWidth(t *testing.T) {
	x := normalSample(200, 0, 1)
	ci := BootstrapCI([][]float64{x}, Mean, BootstrapConfig{Seed: 1})
	sd := 0.0
	m := Mean(x)
	for _, v := range x {
		sd += (v - m) * (v - m)
	}
	sd = math.Sqrt(sd / float64(len(x)-1))
	want := 2 * 1.96 * sd / math.Sqrt(float64(len(x)))
	if got := ci.Hi - ci.Lo; math.Abs(got-want) > 0.15*want {
		t.Errorf("width %.4f, normal theory %.4f", got, want)
	}
}

// TestBootstrapStratified checks that resampling stays within strata: with
// two tasks whose values differ by 1000, every resample's mean is the mean
// of one resample per task, so the interval of the pooled mean stays near
// 500 instead of spreading towards 0 and 1000 as pooled resampling would.
func TestBootstrapStratified(t *testing.T) {
	low := []float64{0, 1, 2, 3}
	high := []float64{1000, 1001, 1002, 1003}
	ci := BootstrapCI([][]float64{low, high}, Mean, BootstrapConfig{Seed: 5})
	if ci.Lo < 500 || ci.Hi > 503 {
		t.Errorf("stratified interval %v left [500, 503]", ci)
	}
}

func TestGapAndSuccesses(t *testing.T) {
	opt := -131.5
	cases := []struct {
		ret, gap float64
	}{
		{-131.5, 0},
		{-138.075, 5},
		{-144.65, 10},
		{-263, 100},
		{-125, 4.942965779467681}, // better than the optimum on these starts (noise): gap is absolute
	}
	for _, c := range cases {
		if g := GapPercent(c.ret, opt); math.Abs(g-c.gap) > 1e-9 {
			t.Errorf("GapPercent(%v, %v) = %v, want %v", c.ret, opt, g, c.gap)
		}
	}
	if n := Successes([]float64{-131.5, -138, -138.1, -200, -125}, opt); n != 3 {
		t.Errorf("Successes = %d, want 3 (gaps 0, 4.9, 5.02, 52, 4.9)", n)
	}
}

func TestStepsToTarget(t *testing.T) {
	inf := math.Inf(1)
	cases := []struct {
		name   string
		steps  []float64
		median float64
		never  int
	}{
		{"all reached", []float64{21000, 18000, 32000}, 21000, 0},
		{"two never of five", []float64{4000, inf, 5000, inf, 3000}, 5000, 2},
		{"most never", []float64{inf, 4000, inf}, inf, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts := StepsToTarget(475, c.steps, BootstrapConfig{Seed: 1})
			if ts.Median != c.median || ts.Never != c.never || ts.Target != 475 {
				t.Fatalf("median %v never %d, want %v and %d", ts.Median, ts.Never, c.median, c.never)
			}
			if !(ts.CI.Lo <= ts.Median && ts.Median <= ts.CI.Hi) {
				t.Errorf("interval %v does not contain the median %v", ts.CI, ts.Median)
			}
			if c.never > 0 && !math.IsInf(ts.CI.Hi, 1) {
				t.Errorf("with never-reached seeds the upper bound must be never (+Inf), got %v", ts.CI.Hi)
			}
		})
	}
}

func TestStepsFromMetrics(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	m := write("m.csv", "iter,env_steps,loss,eval_return\n0,500,1,\n1,1000,1,120\n2,1500,1,\n3,2000,1,480\n4,2500,1,500\n")
	cases := []struct {
		name           string
		path           string
		target         float64
		steps          float64
		reached, known bool
	}{
		{"reached", m, 475, 2000, true, true},
		{"reached first eval", m, 100, 1000, true, true},
		{"never", m, 501, 0, false, true},
		{"no eval column", write("n.csv", "iter,env_steps\n0,5\n"), 1, 0, false, false},
		{"no steps column", write("s.csv", "iter,eval_return\n0,5\n"), 1, 0, false, false},
		{"no file", filepath.Join(dir, "none.csv"), 1, 0, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, r, k := stepsFromMetrics(c.path, c.target)
			if s != c.steps || r != c.reached || k != c.known {
				t.Errorf("got (%v, %v, %v), want (%v, %v, %v)", s, r, k, c.steps, c.reached, c.known)
			}
		})
	}
}

// BenchmarkBootstrapCI times the IQM interval of one method over 20 seeds
// (2000 resamples), the work Summarise does per method and statistic.
func BenchmarkBootstrapCI(b *testing.B) {
	x := normalSample(20, -140, 10)
	for b.Loop() {
		BootstrapCI([][]float64{x}, IQM, BootstrapConfig{Seed: 1})
	}
}
