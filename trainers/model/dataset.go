package model

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/trainers/common"
)

// Dataset is a growing set of real transitions that remembers their
// episodes: Buf holds the transitions in the order they were collected
// (an unbounded common.Buffer) and Starts[k] is the index of the first
// transition of episode k, so episode k is [Starts[k], Starts[k+1]) (the
// last one ends at Len). Open-loop multi-step errors need whole episodes.
type Dataset struct {
	Buf    *common.Buffer
	Starts []int
}

// NewDataset returns an empty dataset for obsDim observations and actDim
// actions.
func NewDataset(obsDim, actDim int) *Dataset {
	return &Dataset{Buf: common.NewBuffer(obsDim, actDim, 0)}
}

// Len is the number of transitions.
func (d *Dataset) Len() int { return d.Buf.Len() }

// Episodes is the number of episodes.
func (d *Dataset) Episodes() int { return len(d.Starts) }

// Episode returns the transition range [start, end) of episode k.
func (d *Dataset) Episode(k int) (start, end int) {
	start, end = d.Starts[k], d.Len()
	if k+1 < len(d.Starts) {
		end = d.Starts[k+1]
	}
	return start, end
}

// StartEpisode marks the next transition added as the first of a new
// episode.
func (d *Dataset) StartEpisode() { d.Starts = append(d.Starts, d.Len()) }

// Append adds the episodes of o (same dimensions) after d's.
func (d *Dataset) Append(o *Dataset) error {
	if o.Buf.ObsDim != d.Buf.ObsDim || o.Buf.ActDim != d.Buf.ActDim {
		return fmt.Errorf("model: append a dataset of obs %d, act %d to one of obs %d, act %d", o.Buf.ObsDim, o.Buf.ActDim, d.Buf.ObsDim, d.Buf.ActDim)
	}
	off := d.Len()
	for _, s := range o.Starts {
		d.Starts = append(d.Starts, off+s)
	}
	b := o.Buf
	for i := range b.Len() {
		d.Buf.Add(b.Obs[i*b.ObsDim:(i+1)*b.ObsDim], b.Act[i*b.ActDim:(i+1)*b.ActDim], b.Rew[i],
			b.NextObs[i*b.ObsDim:(i+1)*b.ObsDim], b.Term[i])
	}
	return nil
}

// Indices returns the transition indices of the given episodes, in order.
func (d *Dataset) Indices(episodes []int) []int {
	var idx []int
	for _, k := range episodes {
		s, e := d.Episode(k)
		for i := s; i < e; i++ {
			idx = append(idx, i)
		}
	}
	return idx
}

// Gather returns copies of the observations, actions and next
// observations at idx: obs and next [len(idx), obsDim], act [len(idx),
// actDim].
func (d *Dataset) Gather(idx []int) (obs, act, next []float64) {
	b := d.Buf
	obs = make([]float64, len(idx)*b.ObsDim)
	act = make([]float64, len(idx)*b.ActDim)
	next = make([]float64, len(idx)*b.ObsDim)
	b.Gather(idx, obs, act, nil, next, nil)
	return obs, act, next
}

// All returns the indices 0..Len-1.
func (d *Dataset) All() []int {
	idx := make([]int, d.Len())
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// SplitEpisodes draws a random set of round(frac * Episodes) episodes (at
// least one when frac > 0, never all of them) as validation episodes and
// returns the rest as training episodes, both in ascending order.
func (d *Dataset) SplitEpisodes(frac float64, rng *rand.Rand) (train, val []int, err error) {
	n := d.Episodes()
	if !(frac >= 0 && frac < 1) {
		return nil, nil, fmt.Errorf("model: validation fraction %v not in [0, 1)", frac)
	}
	nv := int(math.Round(frac * float64(n)))
	if frac > 0 && nv == 0 {
		nv = 1
	}
	if nv >= n {
		return nil, nil, fmt.Errorf("model: %d episodes are too few to hold out %v of them for validation (collect more samples)", n, frac)
	}
	isVal := make([]bool, n)
	for _, k := range rng.Perm(n)[:nv] {
		isVal[k] = true
	}
	for k := range n {
		if isVal[k] {
			val = append(val, k)
		} else {
			train = append(train, k)
		}
	}
	return train, val, nil
}

// Checksum is a 64-bit FNV-1a hash of every stored value and episode
// start: a resumed run compares it to make sure it sees the same data.
func (d *Dataset) Checksum() uint64 {
	h := fnv.New64a()
	b, _ := d.MarshalBinary()
	h.Write(b)
	return h.Sum64()
}

// MarshalBinary encodes the dataset (dimensions, episode starts and every
// transition, float64 bits exactly).
func (d *Dataset) MarshalBinary() ([]byte, error) {
	var buf bytes.Buffer
	b := d.Buf
	hdr := []int64{int64(b.ObsDim), int64(b.ActDim), int64(b.Len()), int64(len(d.Starts))}
	binary.Write(&buf, binary.LittleEndian, hdr)
	for _, s := range d.Starts {
		binary.Write(&buf, binary.LittleEndian, int64(s))
	}
	for _, s := range [][]float64{b.Obs, b.Act, b.NextObs, b.Rew} {
		binary.Write(&buf, binary.LittleEndian, s)
	}
	term := make([]byte, len(b.Term))
	for i, t := range b.Term {
		if t {
			term[i] = 1
		}
	}
	buf.Write(term)
	return buf.Bytes(), nil
}

// UnmarshalBinary replaces d's contents with what MarshalBinary wrote.
func (d *Dataset) UnmarshalBinary(data []byte) error {
	r := bytes.NewReader(data)
	hdr := make([]int64, 4)
	if err := binary.Read(r, binary.LittleEndian, hdr); err != nil {
		return fmt.Errorf("model: dataset header: %w", err)
	}
	no, na, n, ne := hdr[0], hdr[1], hdr[2], hdr[3]
	if no <= 0 || na <= 0 || n < 0 || ne < 0 || ne > n || n*(2*no+na+2) > int64(len(data)) {
		return errors.New("model: dataset: corrupt header")
	}
	starts := make([]int64, ne)
	if err := binary.Read(r, binary.LittleEndian, starts); err != nil {
		return fmt.Errorf("model: dataset episode starts: %w", err)
	}
	obs, act, next, rew := make([]float64, n*no), make([]float64, n*na), make([]float64, n*no), make([]float64, n)
	for _, s := range [][]float64{obs, act, next, rew} {
		if err := binary.Read(r, binary.LittleEndian, s); err != nil {
			return fmt.Errorf("model: dataset values: %w", err)
		}
	}
	term := make([]byte, n)
	if _, err := io.ReadFull(r, term); err != nil {
		return fmt.Errorf("model: dataset flags: %w", err)
	}
	if r.Len() != 0 {
		return errors.New("model: dataset: trailing bytes")
	}
	st := make([]int, ne)
	for i, v := range starts {
		st[i] = int(v)
	}
	fl := make([]int8, n)
	for i, v := range term {
		fl[i] = int8(v)
	}
	return d.set(int(no), int(na), st, obs, act, next, rew, fl)
}

// set replaces d's contents with n transitions given as arrays (obs and
// next [n, obsDim], act [n, actDim], rew and term [n], term 0 or 1) and
// the episode starts, after checking that they fit together.
func (d *Dataset) set(obsDim, actDim int, starts []int, obs, act, next, rew []float64, term []int8) error {
	n := len(rew)
	if obsDim <= 0 || actDim <= 0 || len(obs) != n*obsDim || len(next) != n*obsDim || len(act) != n*actDim || len(term) != n || len(starts) > n {
		return fmt.Errorf("model: dataset: %d rewards do not fit %d observation, %d action and %d flag values of dims %d and %d", n, len(obs), len(act), len(term), obsDim, actDim)
	}
	if len(starts) > 0 && starts[0] != 0 {
		return errors.New("model: dataset: the first episode does not start at 0")
	}
	for i, s := range starts {
		if i > 0 && s <= starts[i-1] || s >= n {
			return errors.New("model: dataset: episode starts out of order")
		}
	}
	// The buffer's length is private: rebuild it through Add.
	buf := common.NewBuffer(obsDim, actDim, 0)
	o, a := obsDim, actDim
	for i := range n {
		if term[i] != 0 && term[i] != 1 {
			return fmt.Errorf("model: dataset: flag %d is %d, want 0 or 1", i, term[i])
		}
		buf.Add(obs[i*o:(i+1)*o], act[i*a:(i+1)*a], rew[i], next[i*o:(i+1)*o], term[i] == 1)
	}
	d.Starts = append([]int(nil), starts...)
	d.Buf = buf
	return nil
}

// datasetJSON is the JSON form of a Dataset: the float arrays as
// checkpoints.F64s (their bytes, read back bit for bit); a checkpoint
// stores every array as a tensor.
type datasetJSON struct {
	ObsDim int              `json:"obs_dim"`
	ActDim int              `json:"act_dim"`
	Starts []int            `json:"starts"`
	Obs    checkpoints.F64s `json:"obs"`
	Act    checkpoints.F64s `json:"act"`
	Next   checkpoints.F64s `json:"next"`
	Rew    checkpoints.F64s `json:"rew"`
	Term   []int8           `json:"term"`
}

// MarshalJSON encodes the dataset (dimensions, episode starts and every
// transition) bit-exactly.
func (d *Dataset) MarshalJSON() ([]byte, error) {
	b := d.Buf
	term := make([]int8, len(b.Term))
	for i, t := range b.Term {
		if t {
			term[i] = 1
		}
	}
	return json.Marshal(datasetJSON{ObsDim: b.ObsDim, ActDim: b.ActDim, Starts: d.Starts,
		Obs: b.Obs, Act: b.Act, Next: b.NextObs, Rew: b.Rew, Term: term})
}

// UnmarshalJSON replaces d's contents with what MarshalJSON wrote.
func (d *Dataset) UnmarshalJSON(raw []byte) error {
	var j datasetJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return fmt.Errorf("model: dataset: %w", err)
	}
	return d.set(j.ObsDim, j.ActDim, j.Starts, j.Obs, j.Act, j.Next, j.Rew, j.Term)
}

// CollectConfig controls Collect.
type CollectConfig struct {
	// Steps is the number of transitions to collect.
	Steps int
	// EpisodeSteps caps each episode (default: the env's MaxSteps, or 200
	// for an env without a limit).
	EpisodeSteps int
}

// Collect runs episodes of pol in env, each reset with rng, and appends
// every transition to d until cfg.Steps transitions are added (the last
// episode may be cut short). It returns the episodes' summaries.
func Collect(d *Dataset, env envs.Env, pol common.Policy, rng *rand.Rand, cfg CollectConfig) ([]common.Episode, error) {
	if cfg.Steps <= 0 {
		return nil, fmt.Errorf("model: collect %d steps: want at least 1", cfg.Steps)
	}
	if env.ObservationSpace().Dim() != d.Buf.ObsDim || env.ActionSpace().Dim() != d.Buf.ActDim {
		return nil, fmt.Errorf("model: collect from %s (obs %d, act %d) into a dataset of obs %d, act %d", env.Name(), env.ObservationSpace().Dim(), env.ActionSpace().Dim(), d.Buf.ObsDim, d.Buf.ActDim)
	}
	limit := EpisodeCap(env, cfg.EpisodeSteps)
	var eps []common.Episode
	for left := cfg.Steps; left > 0; {
		d.StartEpisode()
		ep, err := common.Rollout(env, pol, rng, common.RolloutConfig{
			MaxSteps: min(limit, left),
			OnStep: func(_ int, tr *common.Transition) {
				d.Buf.AddTransition(tr)
			},
		})
		if err != nil {
			return eps, fmt.Errorf("model: collect: %w", err)
		}
		eps = append(eps, ep)
		left -= ep.Steps
	}
	return eps, nil
}

// EpisodeCap returns the episode length cap: steps if positive, else the
// env's MaxSteps, else 200.
func EpisodeCap(env envs.Env, steps int) int {
	switch {
	case steps > 0:
		return steps
	case env.MaxSteps() > 0:
		return env.MaxSteps()
	}
	return 200
}
