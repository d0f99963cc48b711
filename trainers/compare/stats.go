package compare

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Mean returns the arithmetic mean of x (NaN for no values).
func Mean(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// Median returns the median of x (the mean of the two middle values for an
// even count; NaN for no values). +Inf values (e.g. "never reached") sort
// last.
func Median(x []float64) float64 {
	n := len(x)
	if n == 0 {
		return math.NaN()
	}
	var arr [64]float64
	s := sorted(arr[:0], x)
	if n%2 == 1 {
		return s[n/2]
	}
	a, b := s[n/2-1], s[n/2]
	if math.IsInf(b, 1) {
		return b
	}
	return (a + b) / 2
}

// IQM returns the interquartile mean of x: the mean of the values left
// after dropping the floor(n/4) lowest and floor(n/4) highest, the 25%
// trimmed mean that Agarwal et al. 2021 ("Deep reinforcement learning at
// the edge of the statistical precipice", NeurIPS 2021) recommend as robust to
// outlier runs and more efficient than the median. With fewer than four
// values nothing is dropped and IQM is the mean.
func IQM(x []float64) float64 {
	n := len(x)
	if n == 0 {
		return math.NaN()
	}
	var arr [64]float64
	s := sorted(arr[:0], x)
	k := n / 4
	return Mean(s[k : n-k])
}

// sorted appends x to buf and sorts the result; with a stack array as buf
// small samples (the usual number of seeds) need no allocation.
func sorted(buf, x []float64) []float64 {
	s := append(buf, x...)
	slices.Sort(s)
	return s
}

// Interval is a confidence interval [Lo, Hi].
type Interval struct {
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
}

// BootstrapConfig configures BootstrapCI. The zero value means 2000
// resamples, a 95% interval and seed 0, stream 0.
type BootstrapConfig struct {
	Resamples int
	// Level is the coverage of the interval (default 0.95).
	Level float64
	// Seed and Stream seed the resampling RNG (PCG): the same seed gives
	// the same interval.
	Seed, Stream uint64
}

// DefaultResamples is the number of bootstrap resamples when
// BootstrapConfig.Resamples is zero.
const DefaultResamples = 2000

// BootstrapCI returns the percentile confidence interval of stat under the
// stratified bootstrap that Agarwal et al. 2021 recommend for aggregate
// scores (percentile intervals, as in their rliable library): each
// resample draws, within every stratum (task), as many values as the
// stratum holds, uniformly with replacement, and applies stat to the
// concatenation of the drawn values. With a single stratum this is the
// ordinary bootstrap over seeds. The bounds are order statistics of the
// resampled statistics (no interpolation), so +Inf values (a seed that never
// reached a target) are allowed. Empty input gives NaN bounds.
func BootstrapCI(strata [][]float64, stat func([]float64) float64, cfg BootstrapConfig) Interval {
	total := 0
	for _, s := range strata {
		total += len(s)
	}
	if total == 0 {
		return Interval{Lo: math.NaN(), Hi: math.NaN()}
	}
	b := cfg.Resamples
	if b <= 0 {
		b = DefaultResamples
	}
	level := cfg.Level
	if level <= 0 || level >= 1 {
		level = 0.95
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Stream))
	stats := make([]float64, b)
	buf := make([]float64, total)
	for r := range stats {
		k := 0
		for _, s := range strata {
			for range s {
				buf[k] = s[rng.IntN(len(s))]
				k++
			}
		}
		stats[r] = stat(buf)
	}
	slices.Sort(stats)
	alpha := (1 - level) / 2
	lo := int(math.Floor(alpha * float64(b)))
	hi := int(math.Ceil((1-alpha)*float64(b))) - 1
	return Interval{Lo: stats[lo], Hi: stats[max(hi, lo)]}
}

// GapPercent returns how far a return is from the optimum, in percent of
// the optimum's magnitude: 100 |ret - opt| / |opt|.
func GapPercent(ret, opt float64) float64 {
	return 100 * math.Abs(ret-opt) / math.Abs(opt)
}

// SuccessGapPercent is the largest gap to the optimum (in percent) at which
// a seed counts as a success.
const SuccessGapPercent = 5

// Successes counts the returns within SuccessGapPercent of the optimum.
func Successes(returns []float64, opt float64) int {
	n := 0
	for _, r := range returns {
		if GapPercent(r, opt) <= SuccessGapPercent {
			n++
		}
	}
	return n
}

// TargetStats summarises the real env steps each seed needed to reach a
// target return. A seed that never reached it counts as +Inf: the median
// and its interval are then those of the censored sample (a median of
// +Inf means more than half the seeds never got there).
type TargetStats struct {
	Target float64
	// Steps holds one entry per seed: the steps, or +Inf for never.
	Steps  []float64
	Median float64
	CI     Interval
	// Never counts the seeds that never reached the target.
	Never int
}

// StepsToTarget computes TargetStats from per-seed steps (+Inf: never
// reached), with a bootstrap interval of the median.
func StepsToTarget(target float64, steps []float64, cfg BootstrapConfig) TargetStats {
	t := TargetStats{Target: target, Steps: steps, Median: Median(steps)}
	for _, s := range steps {
		if math.IsInf(s, 1) {
			t.Never++
		}
	}
	t.CI = BootstrapCI([][]float64{steps}, Median, cfg)
	return t
}
