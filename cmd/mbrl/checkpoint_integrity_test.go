package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mbrl/mbrl/checkpoints"
)

// integrityRuns trains every method that writes a checkpoint with the
// smallest budgets and returns the methods and the paths of their
// final.safetensors.
func integrityRuns(t *testing.T) (methods, paths []string) {
	t.Helper()
	dir := t.TempDir()
	run := func(name string) string { return filepath.Join(dir, name) }
	tinyIm := []string{"--episodes-per-iter", "2", "--epochs", "2", "--iters", "1", "--eval-episodes", "1", "--final-episodes", "1"}
	cases := []struct {
		name string
		args []string
	}{
		{"model", []string{"train", "model", "--env", "pendulum", "--samples", "400", "--val-frac", "0.2",
			"--iters", "1", "--epochs-per-iter", "1", "--hidden", "8"}},
		{"mpc", []string{"train", "mpc", "--env", "pendulum", "--random-steps", "200", "--iters", "1",
			"--ensemble", "2", "--init-fit-steps", "5", "--fit-steps", "5", "--hidden", "8", "--horizon", "3",
			"--final-episodes", "1"}},
		{"bptt", []string{"train", "bptt", "--env", "pendulum", "--true-dynamics", "--horizon", "5",
			"--batch", "4", "--hidden", "8", "--iters", "2", "--final-episodes", "1"}},
		{"bptt-learn-model", []string{"train", "bptt", "--env", "pendulum", "--learn-model", "--horizon", "4",
			"--batch", "4", "--hidden", "8", "--iters", "3", "--random-steps", "40", "--refit-every", "2", "--episode-steps", "20",
			"--init-fit-steps", "4", "--fit-steps", "2", "--model-hidden", "8", "--final-episodes", "1"}},
		{"gps", []string{"train", "gps", "--env", "pendulum", "--conditions", "2", "--horizon", "20",
			"--policy-epochs", "1", "--hidden", "8", "--final-episodes", "1", "--iters", "1"}},
		{"lggps", []string{"train", "lggps", "--env", "pendulum", "--conditions", "2", "--samples", "3", "--horizon", "20",
			"--policy-epochs", "1", "--hidden", "8", "--final-episodes", "1", "--iters", "1"}},
		{"bc", append([]string{"train", "bc"}, tinyIm...)},
		{"dagger", append([]string{"train", "dagger", "--compare-bc"}, tinyIm...)},
		{"plato", append([]string{"train", "plato"}, tinyIm...)},
		{"dyna", []string{"train", "dyna", "--env", "cartpole", "--steps", "200", "--steps-per-iter", "100",
			"--learning-starts", "50", "--planning-steps", "2", "--rollout-length", "2", "--model-steps", "2",
			"--model-every", "50", "--batch", "8", "--hidden", "8", "--model-hidden", "8", "--model-batch", "16",
			"--eval-episodes", "1", "--final-episodes", "1"}},
	}
	for _, c := range cases {
		args := append(c.args, "--out", run(c.name), "--quiet", "--json")
		if _, stderr, code := runCLI(t, args...); code != 0 {
			t.Fatalf("%s: exit %d: %s", c.name, code, stderr)
		}
		methods = append(methods, c.name)
		paths = append(paths, filepath.Join(run(c.name), "final.safetensors"))
	}
	return methods, paths
}

// TestCheckpointByteFlips changes 1,000 random bytes (one at a time, each
// to a different random value, from a seeded stream; every other one in
// the header, where the metadata and trainer state's structure live) of a
// checkpoint of every trainer that writes one: every change must be
// refused with a one-line error wrapping one of the checkpoints sentinels. Before format
// 2 the checksum covered the tensor data only, and 71 of 200 flips of a
// dagger checkpoint (6 of 200 of a bptt one) were accepted.
func TestCheckpointByteFlips(t *testing.T) {
	if testing.Short() {
		t.Skip("trains every method: skipped in -short")
	}
	sentinels := []error{checkpoints.ErrTruncated, checkpoints.ErrChecksum, checkpoints.ErrHeader,
		checkpoints.ErrVersion, checkpoints.ErrMismatch, checkpoints.ErrInvalid}
	methods, paths := integrityRuns(t)
	for k, method := range methods {
		path := paths[k]
		t.Run(method, func(t *testing.T) {
			good, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			c, err := checkpoints.Decode(good)
			if err != nil {
				t.Fatalf("the undamaged checkpoint: %v", err)
			}
			if len(c.Meta.Optimizer) == 0 || len(c.StateTensors) == 0 {
				t.Fatalf("no trainer state stored as tensors (%d state tensors)", len(c.StateTensors))
			}
			hlen := int(binary.LittleEndian.Uint64(good))
			checkStoredState(t, good[8:8+hlen])
			rng := rand.New(rand.NewPCG(13, uint64(k)))
			b := append([]byte(nil), good...)
			inHeader := 0
			for n := range 1000 {
				i := rng.IntN(len(b))
				if n%2 == 1 {
					i = rng.IntN(8 + hlen)
				}
				mask := byte(1 + rng.IntN(255))
				b[i] ^= mask
				c, err := checkpoints.Decode(b)
				b[i] ^= mask
				if i < 8+hlen {
					inHeader++
				}
				if err == nil || c != nil {
					t.Fatalf("byte %d ^= %#x (of %d, header ends at %d) accepted", i, mask, len(b), 8+hlen)
				}
				msg := err.Error()
				if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "checkpoints: decode: ") {
					t.Fatalf("byte %d: message %q is not one line naming the package", i, msg)
				}
				wraps := false
				for _, s := range sentinels {
					wraps = wraps || errors.Is(err, s)
				}
				if !wraps {
					t.Fatalf("byte %d: %v wraps no sentinel", i, err)
				}
			}
			t.Logf("%s: %d bytes (%d header), %d tensors + %d state tensors, 1000 flips (%d in the header) all rejected",
				method, len(good), 8+hlen, len(c.Tensors), len(c.StateTensors), inHeader)
		})
	}
}

// checkStoredState checks that the trainer state as stored in header hdr
// keeps no array of numbers and no long string (a base64 dataset, say) in
// the metadata: they belong in tensors.
func checkStoredState(t *testing.T, hdr []byte) {
	t.Helper()
	var h struct {
		Meta map[string]string `json:"__metadata__"`
	}
	if err := json.Unmarshal(hdr, &h); err != nil {
		t.Fatal(err)
	}
	var md struct {
		Optimizer any `json:"optimizer"`
	}
	if err := json.Unmarshal([]byte(h.Meta["mbrl"]), &md); err != nil {
		t.Fatal(err)
	}
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if k != "$tensor" { // a reference to a state tensor
					walk(e, path+"."+k)
				}
			}
		case []any:
			numbers := len(v) > 0
			for i, e := range v {
				_, isNum := e.(float64)
				numbers = numbers && isNum
				walk(e, fmt.Sprintf("%s.%d", path, i))
			}
			if numbers {
				t.Errorf("state%s: an array of %d numbers in the metadata", path, len(v))
			}
		case string:
			if len(v) > 64 {
				t.Errorf("state%s: a string of %d bytes in the metadata", path, len(v))
			}
		}
	}
	walk(md.Optimizer, "")
}

// TestCheckpointNonFiniteWeight writes a NaN into a policy weight of a
// real checkpoint and reseals it with a valid checksum (as a diverged run
// writing through another tool could): eval and inspect must refuse it,
// naming the tensor, instead of evaluating to "mean NaN" with exit 0.
func TestCheckpointNonFiniteWeight(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "bc")
	if _, stderr, code := runCLI(t, "train", "bc", "--episodes-per-iter", "2", "--epochs", "1", "--iters", "1",
		"--eval-episodes", "1", "--final-episodes", "1", "--out", run, "--quiet"); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	c, err := checkpoints.Load(filepath.Join(run, "final.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	// Encode refuses NaN, so place it in the bytes of a sound file.
	w, _ := c.Tensor("policy.l0.weight")
	w.Data[1] = 12345.678
	b, err := checkpoints.Encode(c)
	if err != nil {
		t.Fatal(err)
	}
	bad := replaceFloat(t, b, 12345.678, math.NaN())
	path := filepath.Join(dir, "nan.safetensors")
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"eval", "--env", "pendulum", "--checkpoint", path, "--episodes", "1"},
		{"inspect", path},
	} {
		_, stderr, code := runCLI(t, args...)
		if code == 0 || !strings.Contains(stderr, `"policy.l0.weight" holds NaN`) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%s: exit %d, stderr %q; want a one-line error naming the tensor", args[0], code, stderr)
		}
	}
}

// replaceFloat replaces the only float64 old in the data of checkpoint b
// by v and recomputes the whole-file checksum the way Save does.
func replaceFloat(t *testing.T, b []byte, old, v float64) []byte {
	t.Helper()
	out := append([]byte(nil), b...)
	hlen := 8 + int(binary.LittleEndian.Uint64(out))
	var pat [8]byte
	binary.LittleEndian.PutUint64(pat[:], math.Float64bits(old))
	at := -1
	for i := hlen; i+8 <= len(out); i += 8 {
		if string(out[i:i+8]) == string(pat[:]) {
			at = i
			break
		}
	}
	if at < 0 {
		t.Fatal("value not found")
	}
	binary.LittleEndian.PutUint64(out[at:], math.Float64bits(v))
	// The checksum is the sha256 of the file with its own 64 hex digits
	// read as '0's (checkpoints/doc.go).
	field := []byte(`"checksum":"sha256:`)
	i := bytes.Index(out[:hlen], field) + len(field)
	copy(out[i:i+64], bytes.Repeat([]byte("0"), 64))
	sum := sha256.Sum256(out)
	copy(out[i:i+64], hex.EncodeToString(sum[:]))
	return out
}

// TestCheckpointHugeArchitecture crafts a small checkpoint whose policy
// declares "hidden":[99999999] over tensors of a hidden layer of 8: inspect
// and eval must refuse it at once with a one-line error, before allocating
// anything (it used to pass inspect, then make eval spend 35 s and 4.9 GB
// and die with an out-of-memory trace).
func TestCheckpointHugeArchitecture(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "bc")
	if _, stderr, code := runCLI(t, "train", "bc", "--episodes-per-iter", "1", "--epochs", "1", "--iters", "1",
		"--hidden", "8", "--eval-episodes", "1", "--final-episodes", "1", "--out", run, "--quiet"); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	c, err := checkpoints.Load(filepath.Join(run, "final.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	spec, ok := c.Model("policy")
	if !ok {
		t.Fatal("no policy")
	}
	spec.Arch = bytes.Replace(spec.Arch, []byte(`"hidden":[8]`), []byte(`"hidden":[99999999]`), 1)
	if !bytes.Contains(spec.Arch, []byte("99999999")) {
		t.Fatalf("arch %s has no hidden [8]", spec.Arch)
	}
	c.Meta.Optimizer = nil
	b, err := checkpoints.Encode(c)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "huge.safetensors")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("crafted checkpoint: %d bytes", len(b))
	for _, args := range [][]string{
		{"eval", "--env", "pendulum", "--checkpoint", path, "--episodes", "1"},
		{"inspect", path},
	} {
		t0 := time.Now()
		_, stderr, code := runCLI(t, args...)
		if code == 0 || !strings.Contains(stderr, "99999999") || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%s: exit %d, stderr %q; want a one-line error naming the declared shape", args[0], code, stderr)
		}
		if d := time.Since(t0); d > 5*time.Second {
			t.Errorf("%s took %v to refuse it", args[0], d)
		}
		if strings.Contains(stderr, "train a policy") {
			t.Errorf("%s: %q suggests training a policy for a file that holds one (a corrupt one)", args[0], stderr)
		}
	}
}
