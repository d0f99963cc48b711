package common

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/nn"
)

func TestSummarise(t *testing.T) {
	r := Summarise([]float64{-1, -3, -2, -6}, nil)
	if r.Mean != -3 || r.Min != -6 || r.Max != -1 || r.Median != -2.5 {
		t.Fatalf("summary %+v", r)
	}
	if want := math.Sqrt((4 + 0 + 1 + 9) / 4.0); math.Abs(r.Std-want) > 1e-15 {
		t.Fatalf("std %v want %v", r.Std, want)
	}
}

func TestEvaluateIndependentOfWorkers(t *testing.T) {
	mk := func() (envs.Env, error) { return envs.Make("pendulum") }
	pol := func() (Policy, error) {
		return PolicyFunc(func(dst, obs []float64) { dst[0] = -2 * obs[1] }), nil
	}
	var prev []float64
	for _, w := range []int{1, 2, 5} {
		r, err := Evaluate(mk, pol, EvalConfig{Episodes: 7, Seed: 3, Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		if prev != nil {
			for i := range prev {
				if prev[i] != r.Returns[i] {
					t.Fatalf("workers=%d: episode %d return %v, want %v", w, i, r.Returns[i], prev[i])
				}
			}
		}
		prev = r.Returns
	}
}

func TestBufferRing(t *testing.T) {
	b := NewBuffer(1, 1, 3)
	for i := range 5 {
		v := float64(i)
		b.Add([]float64{v}, []float64{v}, v, []float64{v + 1}, i == 4)
	}
	if b.Len() != 3 {
		t.Fatalf("len %d", b.Len())
	}
	// Slots hold 3, 4, 2 (0 and 1 overwritten).
	want := []float64{3, 4, 2}
	for i, w := range want {
		if b.Obs[i] != w || b.Rew[i] != w {
			t.Fatalf("slot %d = %v, want %v", i, b.Obs[i], w)
		}
	}
	obs := make([]float64, 2)
	term := make([]bool, 2)
	b.Gather([]int{1, 2}, obs, nil, nil, nil, term)
	if obs[0] != 4 || obs[1] != 2 || !term[0] || term[1] {
		t.Fatalf("gather %v %v", obs, term)
	}
}

// toyTrainer fits y = 2x with one MLP and Adam, drawing its data from an
// rng it checkpoints: enough to test resume and divergence handling.
type toyTrainer struct {
	mlp     *nn.MLP
	adam    *nn.Adam
	pcg     *rand.PCG
	rng     *rand.Rand
	poison  int // iteration at which weights become NaN (-1: never)
	grads   [][]float64
	scratch []float64
}

func newToy(seed uint64) *toyTrainer {
	m := nn.NewMLP("toy", []int{1, 4, 1}, "tanh", rand.New(rand.NewPCG(seed, 0)))
	pcg := rand.NewPCG(seed, 1)
	tt := &toyTrainer{mlp: m, adam: nn.NewAdam(nn.Adam{LR: 0.01}, m.Params()), pcg: pcg, rng: rand.New(pcg), poison: -1}
	for _, p := range m.Params() {
		tt.grads = append(tt.grads, make([]float64, len(p.Data())))
	}
	tt.scratch = make([]float64, 1)
	return tt
}

func (tt *toyTrainer) Iterate(_ context.Context, iter int) ([]Metric, error) {
	// Random-direction "gradient" so the test depends on the rng stream.
	for _, g := range tt.grads {
		for i := range g {
			g[i] = tt.rng.NormFloat64()
		}
	}
	tt.adam.Step(tt.grads)
	if iter == tt.poison {
		tt.mlp.Params()[0].Data()[0] = math.NaN()
	}
	tt.mlp.Forward(tt.scratch, []float64{0.5})
	return []Metric{{"out", tt.scratch[0]}}, nil
}

func (tt *toyTrainer) Models() []nn.Model { return []nn.Model{tt.mlp} }

type toyState struct {
	Adam nn.AdamState
	PCG  []byte
}

func (tt *toyTrainer) State() (json.RawMessage, error) {
	b, err := tt.pcg.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return json.Marshal(toyState{Adam: tt.adam.State(), PCG: b})
}

func (tt *toyTrainer) Restore(raw json.RawMessage) error {
	var s toyState
	if err := json.Unmarshal(raw, &s); err != nil {
		return err
	}
	if err := tt.pcg.UnmarshalBinary(s.PCG); err != nil {
		return err
	}
	return tt.adam.SetState(s.Adam)
}

func weights(m nn.Model) []float64 {
	var w []float64
	for _, p := range m.Params() {
		w = append(w, p.Data()...)
	}
	return w
}

func TestLoopResumeIsBitExact(t *testing.T) {
	meta := checkpoints.Metadata{Method: "toy", Env: "none", Seed: 5}
	full := newToy(5)
	dirA := t.TempDir()
	if _, err := Loop(context.Background(), full, LoopConfig{Iters: 10, Dir: dirA, Meta: meta}); err != nil {
		t.Fatal(err)
	}
	half := newToy(5)
	dirB := t.TempDir()
	if _, err := Loop(context.Background(), half, LoopConfig{Iters: 5, Dir: dirB, Meta: meta}); err != nil {
		t.Fatal(err)
	}
	resumed := newToy(99) // different init: everything must come from the checkpoint
	c, err := Resume(filepath.Join(dirB, "latest.safetensors"), resumed)
	if err != nil {
		t.Fatal(err)
	}
	if c.Meta.Iteration != 5 {
		t.Fatalf("checkpoint iteration %d, want 5", c.Meta.Iteration)
	}
	if _, err := Loop(context.Background(), resumed, LoopConfig{Iters: 10, Start: c.Meta.Iteration, Dir: dirB, Meta: meta}); err != nil {
		t.Fatal(err)
	}
	a, b := weights(full.mlp), weights(resumed.mlp)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("weight %d: straight %v, resumed %v", i, a[i], b[i])
		}
	}
}

func TestLoopDivergenceKeepsLastGoodCheckpoint(t *testing.T) {
	tr := newToy(1)
	tr.poison = 3
	dir := t.TempDir()
	_, err := Loop(context.Background(), tr, LoopConfig{Iters: 10, Dir: dir, Meta: checkpoints.Metadata{Method: "toy"}})
	if !errors.Is(err, ErrDiverged) {
		t.Fatalf("want ErrDiverged, got %v", err)
	}
	c, err := checkpoints.Load(filepath.Join(dir, "latest.safetensors"))
	if err != nil {
		t.Fatalf("last good checkpoint unreadable: %v", err)
	}
	if c.Meta.Iteration != 3 {
		t.Fatalf("latest is iteration %d, want 3 (the last good one)", c.Meta.Iteration)
	}
	if _, err := os.Stat(filepath.Join(dir, "final.safetensors")); err == nil {
		t.Fatal("a diverged run must not write final.safetensors")
	}
}

func TestLoopInterrupted(t *testing.T) {
	tr := newToy(1)
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	_, err := Loop(ctx, tr, LoopConfig{Iters: 10, Dir: dir, OnIter: func(iter int, _ []Metric) error {
		if iter == 2 {
			cancel()
		}
		return nil
	}})
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("want ErrInterrupted, got %v", err)
	}
	c, err := checkpoints.Load(filepath.Join(dir, "latest.safetensors"))
	if err != nil || c.Meta.Iteration != 3 {
		t.Fatalf("latest after interrupt: %v, %v", c, err)
	}
}

// TestResumeNeedsTrainerState checks that Resume refuses, with one line
// saying what to do, a checkpoint without trainer state and one of format
// version 1 (whose trainer state its checksum did not cover).
func TestResumeNeedsTrainerState(t *testing.T) {
	dir := t.TempDir()
	toy := newToy(1)
	c, err := BuildCheckpoint(checkpoints.Metadata{Method: "toy"}, toy.Models()...)
	if err != nil {
		t.Fatal(err)
	}
	stateless := filepath.Join(dir, "weights.safetensors")
	if err := checkpoints.Save(stateless, c); err != nil {
		t.Fatal(err)
	}

	// The same weights as a format 1 file: the data's sha256 as checksum,
	// the trainer state as text in the metadata.
	st, _ := toy.State()
	c.Meta.FormatVersion, c.Meta.Optimizer = 1, st
	mbrl, _ := json.Marshal(c.Meta)
	var data []byte
	hdr := map[string]any{}
	for _, tn := range c.Tensors {
		begin := len(data)
		for _, v := range tn.Data {
			data = binary.LittleEndian.AppendUint64(data, math.Float64bits(v))
		}
		hdr[tn.Name] = map[string]any{"dtype": "F64", "shape": tn.Shape, "data_offsets": []int{begin, len(data)}}
	}
	sum := sha256.Sum256(data)
	hdr["__metadata__"] = map[string]string{"format_version": "1", "checksum": "sha256:" + hex.EncodeToString(sum[:]), "mbrl": string(mbrl)}
	h, _ := json.Marshal(hdr)
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	old := filepath.Join(dir, "format1.safetensors")
	file := append(binary.LittleEndian.AppendUint64(nil, uint64(len(h))), append(h, data...)...)
	if err := os.WriteFile(old, file, 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err := checkpoints.Load(old); err != nil || c.Meta.Optimizer != nil {
		t.Fatalf("format 1 file: %v (trainer state %s); want its weights without state", err, c.Meta.Optimizer)
	}

	for _, tc := range []struct{ path, want string }{
		{stateless, "holds no trainer state"},
		{old, "format 1 from an older mbrl"},
	} {
		_, err := Resume(tc.path, newToy(2))
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Resume(%s) = %v, want one line saying %q", filepath.Base(tc.path), err, tc.want)
		}
	}
}
