package imitation

import (
	"encoding/json"
	"fmt"

	"github.com/mbrl/mbrl/checkpoints"
)

// Dataset is an aggregated set of labelled observations: Obs [n, ObsDim]
// and the expert's actions Label [n, ActDim], row-major, in the order they
// were added. It only grows.
type Dataset struct {
	ObsDim, ActDim int
	Obs, Label     []float64
}

// NewDataset returns an empty dataset.
func NewDataset(obsDim, actDim int) *Dataset { return &Dataset{ObsDim: obsDim, ActDim: actDim} }

// Len is the number of labelled observations.
func (d *Dataset) Len() int {
	if d.ObsDim == 0 {
		return 0
	}
	return len(d.Obs) / d.ObsDim
}

// Append adds rows: obs [k, ObsDim] and labels [k, ActDim] (copied).
func (d *Dataset) Append(obs, label []float64) {
	d.Obs = append(d.Obs, obs...)
	d.Label = append(d.Label, label...)
}

// datasetJSON is the serialised form of a Dataset: the two arrays as
// checkpoints.F64s (their bytes, which a checkpoint stores as the tensors
// state.<...>.obs and .label), read back bit for bit.
type datasetJSON struct {
	ObsDim int              `json:"obs_dim"`
	ActDim int              `json:"act_dim"`
	Obs    checkpoints.F64s `json:"obs"`
	Label  checkpoints.F64s `json:"label"`
}

// MarshalJSON encodes the dataset bit-exactly.
func (d *Dataset) MarshalJSON() ([]byte, error) {
	return json.Marshal(datasetJSON{ObsDim: d.ObsDim, ActDim: d.ActDim, Obs: d.Obs, Label: d.Label})
}

// UnmarshalJSON decodes what MarshalJSON wrote.
func (d *Dataset) UnmarshalJSON(b []byte) error {
	var j datasetJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	obs, lab := j.Obs, j.Label
	if j.ObsDim <= 0 || j.ActDim <= 0 || len(obs)%j.ObsDim != 0 || len(lab) != len(obs)/j.ObsDim*j.ActDim {
		return fmt.Errorf("imitation: dataset: %d observation and %d label values do not fit dims %d and %d", len(obs), len(lab), j.ObsDim, j.ActDim)
	}
	*d = Dataset{ObsDim: j.ObsDim, ActDim: j.ActDim, Obs: obs, Label: lab}
	return nil
}

// Stream numbers the random stream of one episode: kind (which collection:
// DAgger data, BC comparison data, ...; < 256), iteration (< 2^12) and
// episode index (< 2^20). Streams stay below 1<<40, clear of the
// evaluation streams of common.Evaluate.
func Stream(kind, iter, episode int) uint64 {
	return uint64(kind&0xff)<<32 | uint64(iter&0xfff)<<20 | uint64(episode&0xfffff)
}

// KindTraining is the stream kind (see Stream) of the training episodes:
// episode e of iteration i resets from Stream(KindTraining, i, e), so
// DAgger, behaviour cloning and PLATO runs with the same seed start their
// iteration-i episodes from the same states (paired comparisons of
// train_return).
const KindTraining = 1
