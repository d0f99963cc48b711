package model

import (
	"fmt"
	"math"

	"github.com/mbrl/mbrl/nn"
)

// Predictor predicts the next observation of one transition:
// obs [obsDim], act [actDim] -> dst [obsDim]. *nn.DynamicsModel and
// *nn.Ensemble (the members' mean) satisfy it.
type Predictor interface {
	Predict(dst, obs, act []float64)
}

// DeltaNormaliser returns the delta normaliser of a DynamicsModel or of
// an Ensemble's first member (all members share the statistics when
// fitted by a Fitter), or nil.
func DeltaNormaliser(m nn.Model) *nn.Normaliser {
	switch v := m.(type) {
	case *nn.DynamicsModel:
		return v.DeltaNormaliser()
	case *nn.Ensemble:
		return v.Member(0).DeltaNormaliser()
	}
	return nil
}

// NormalisedMSE is the one-step mean squared error of p on n transitions
// obs, act, next in the normalised delta space of the model's delta
// normaliser norm, i.e. the regression loss the model is trained on:
//
//	mean_ij ((pred_ij - obs_ij - mean_j)/std_j - (next_ij - obs_ij - mean_j)/std_j)²
//	  = mean_ij ((pred_ij - next_ij) / std_j)²
//
// A nil norm gives the raw one-step MSE.
func NormalisedMSE(p Predictor, norm *nn.Normaliser, obs, act, next []float64, n int) (float64, error) {
	if n <= 0 {
		return 0, fmt.Errorf("model: one-step error of %d transitions", n)
	}
	no, na := len(obs)/n, len(act)/n
	if len(obs) != n*no || len(act) != n*na || len(next) != n*no || (norm != nil && norm.Dim() != no) {
		return 0, fmt.Errorf("model: one-step error: inconsistent lengths (n=%d, obs %d, act %d, next %d)", n, len(obs), len(act), len(next))
	}
	pred := make([]float64, no)
	var s float64
	for i := range n {
		p.Predict(pred, obs[i*no:(i+1)*no], act[i*na:(i+1)*na])
		for j, v := range pred {
			d := v - next[i*no+j]
			if norm != nil {
				d /= norm.Std[j]
			}
			s += d * d
		}
	}
	return s / float64(n*no), nil
}

// MultiStepRMSE measures open-loop prediction error against real
// trajectories: from each start transition s of the given episodes of d
// it feeds the real actions a_s, a_{s+1}, ... to p, starting from the
// real observation o_s and then from its own predictions, and compares
// the h-step prediction with the real observation o_{s+h}. It returns
// rmse[h-1] = sqrt(mean over segments and observation dimensions of the
// squared error) for h = 1..maxH, in raw observation units.
//
// Starts are every stride-th transition whose segment of maxH steps lies
// inside its episode (an episode shorter than maxH contributes one
// segment from its first transition, to the horizons it covers). A
// horizon no segment reaches is NaN.
func MultiStepRMSE(p Predictor, d *Dataset, episodes []int, maxH, stride int) []float64 {
	b := d.Buf
	no, na := b.ObsDim, b.ActDim
	stride = max(stride, 1)
	sum := make([]float64, maxH)
	cnt := make([]int, maxH)
	x := make([]float64, no)
	for _, k := range episodes {
		a, e := d.Episode(k)
		var starts []int
		if e-a < maxH {
			starts = []int{a}
		} else {
			for s := a; s+maxH <= e; s += stride {
				starts = append(starts, s)
			}
		}
		for _, s := range starts {
			copy(x, b.Obs[s*no:(s+1)*no])
			for h := 1; h <= maxH && s+h <= e; h++ {
				t := s + h - 1
				p.Predict(x, x, b.Act[t*na:(t+1)*na])
				for j, v := range x {
					dv := v - b.NextObs[t*no+j]
					sum[h-1] += dv * dv
				}
				cnt[h-1] += no
			}
		}
	}
	out := make([]float64, maxH)
	for h := range out {
		out[h] = math.NaN()
		if cnt[h] > 0 {
			out[h] = math.Sqrt(sum[h] / float64(cnt[h]))
		}
	}
	return out
}
