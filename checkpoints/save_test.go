package checkpoints

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	orig := sampleCheckpoint()
	path := filepath.Join(t.TempDir(), "final.safetensors")
	if err := Save(path, orig); err != nil {
		t.Fatal(err)
	}
	if orig.Meta.FormatVersion != 0 || orig.Tensors[0].Name != "policy.l0.weight" {
		t.Fatal("Save modified its argument")
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := sampleCheckpoint()
	want.Meta.FormatVersion = FormatVersion
	if !reflect.DeepEqual(got.Meta, want.Meta) {
		gm, _ := json.Marshal(got.Meta)
		wm, _ := json.Marshal(want.Meta)
		t.Errorf("metadata differs:\n got %s\nwant %s", gm, wm)
	}
	sameTensors(t, got.Tensors, sortedTensors(want.Tensors))

	// Saving the loaded checkpoint again gives the same bytes.
	first, _ := os.ReadFile(path)
	if again := saveBytes(t, got); !bytes.Equal(first, again) {
		t.Error("Save(Load(f)) differs from f: output is not deterministic")
	}
}

func TestRoundTripMinimal(t *testing.T) {
	tests := []struct {
		name string
		c    *Checkpoint
	}{
		{"empty", &Checkpoint{}},
		{"undeclared tensors without models", &Checkpoint{Tensors: []Tensor{{Name: "x", Shape: nil, Data: []float64{3}}}}},
		{"model without tensors", &Checkpoint{Meta: Metadata{Models: []ModelSpec{{Name: "m", Kind: "k", Tensors: map[string][]int{}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.safetensors")
			if err := Save(path, tt.c); err != nil {
				t.Fatal(err)
			}
			got, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Tensors) != len(tt.c.Tensors) || len(got.Meta.Models) != len(tt.c.Meta.Models) {
				t.Errorf("got %d tensors %d models, want %d and %d", len(got.Tensors), len(got.Meta.Models), len(tt.c.Tensors), len(tt.c.Meta.Models))
			}
			for _, tn := range got.Tensors {
				if tn.Shape == nil { // a nil shape is saved as a scalar
					t.Errorf("tensor %q: nil shape after load", tn.Name)
				}
			}
		})
	}
}

func TestLookup(t *testing.T) {
	c := sampleCheckpoint()
	if tn, ok := c.Tensor("policy/log_std"); !ok || tn.Data[0] != -0.5 {
		t.Errorf("Tensor(policy/log_std) = %v, %v", tn, ok)
	}
	if _, ok := c.Tensor("nope"); ok {
		t.Error("Tensor(nope) found")
	}
	if m, ok := c.Model("dynamics"); !ok || m.Kind != "dynamics" {
		t.Errorf("Model(dynamics) = %v, %v", m, ok)
	}
	if _, ok := c.Model("nope"); ok {
		t.Error("Model(nope) found")
	}
}

// TestSaveRefuses checks that every invalid checkpoint is refused with the
// right sentinel and leaves the previous file untouched.
func TestSaveRefuses(t *testing.T) {
	tests := []struct {
		name string
		edit func(c *Checkpoint)
		want error
	}{
		{"NaN", func(c *Checkpoint) { c.Tensors[0].Data[5] = math.NaN() }, ErrInvalid},
		{"+Inf", func(c *Checkpoint) { c.Tensors[1].Data[0] = math.Inf(1) }, ErrInvalid},
		{"-Inf in scalar", func(c *Checkpoint) { c.Tensors[2].Data[0] = math.Inf(-1) }, ErrInvalid},
		{"too few values", func(c *Checkpoint) { c.Tensors[0].Data = c.Tensors[0].Data[:11] }, ErrInvalid},
		{"too many values", func(c *Checkpoint) { c.Tensors[2].Data = []float64{1, 2} }, ErrInvalid},
		{"negative dimension", func(c *Checkpoint) { c.Tensors[4].Shape = []int{-1, 0} }, ErrInvalid},
		{"overflowing shape", func(c *Checkpoint) { c.Tensors[4].Shape = []int{math.MaxInt, math.MaxInt, 0} }, ErrInvalid},
		{"duplicate name", func(c *Checkpoint) { c.Tensors[3].Name = "policy.l0.weight"; c.Tensors[3].Shape = []int{2, 2} }, ErrInvalid},
		{"empty name", func(c *Checkpoint) { c.Tensors[0].Name = "" }, ErrInvalid},
		{"reserved name", func(c *Checkpoint) { c.Tensors[0].Name = metadataKey }, ErrInvalid},
		{"invalid UTF-8 name", func(c *Checkpoint) { c.Tensors[0].Name = "policy\xff" }, ErrInvalid},
		{"future format version", func(c *Checkpoint) { c.Meta.FormatVersion = FormatVersion + 1 }, ErrInvalid},
		{"shape differs from model", func(c *Checkpoint) { c.Meta.Models[0].Tensors["policy.l0.weight"] = []int{3, 4} }, ErrMismatch},
		{"declared tensor missing", func(c *Checkpoint) { c.Meta.Models[1].Tensors["dynamics.b"] = []int{2} }, ErrMismatch},
		{"undeclared tensor", func(c *Checkpoint) { delete(c.Meta.Models[1].Tensors, "dynamics.w") }, ErrMismatch},
		{"tensor in two models", func(c *Checkpoint) { c.Meta.Models[1].Tensors["policy.l0.bias"] = []int{4} }, ErrInvalid},
		{"duplicate model", func(c *Checkpoint) { c.Meta.Models[1].Name = "policy" }, ErrInvalid},
		{"unnamed model", func(c *Checkpoint) { c.Meta.Models[1].Name = "" }, ErrInvalid},
		{"normaliser lengths", func(c *Checkpoint) { c.Meta.Normalisers["obs"] = Normaliser{Mean: []float64{1}} }, ErrInvalid},
		{"normaliser NaN", func(c *Checkpoint) { c.Meta.Normalisers["obs"].Std[1] = math.NaN() }, ErrInvalid},
		{"invalid raw JSON", func(c *Checkpoint) { c.Meta.RNG = json.RawMessage(`{"pcg":`) }, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "c.safetensors")
			if err := Save(path, sampleCheckpoint()); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(path)
			c := sampleCheckpoint()
			tt.edit(c)
			err := Save(path, c)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Save = %v, want %v", err, tt.want)
			}
			t.Log(err)
			checkIntact(t, dir, path, before)
		})
	}
}

// checkIntact checks that path still holds before and that dir holds no
// other file.
func checkIntact(t *testing.T, dir, path string, before []byte) {
	t.Helper()
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("previous checkpoint was modified")
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only %s", names, filepath.Base(path))
	}
}

var errInjected = errors.New("injected write failure")

// failingWriter passes through the first n bytes, then fails.
type failingWriter struct {
	w io.Writer
	n int
}

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) <= f.n {
		f.n -= len(p)
		return f.w.Write(p)
	}
	k, err := f.w.Write(p[:f.n])
	f.n = 0
	if err == nil {
		err = errInjected
	}
	return k, err
}

func TestInterruptedSave(t *testing.T) {
	next := sampleCheckpoint()
	next.Meta.Iteration++
	size := len(saveBytes(t, next))
	for _, cut := range []int{0, 1, 8, 100, size / 2, size - 1} {
		dir := t.TempDir()
		path := filepath.Join(dir, "final.safetensors")
		if err := Save(path, sampleCheckpoint()); err != nil {
			t.Fatal(err)
		}
		before, _ := os.ReadFile(path)
		err := saveTo(path, next, func(w io.Writer) io.Writer { return &failingWriter{w: w, n: cut} })
		if !errors.Is(err, errInjected) {
			t.Fatalf("cut at %d: saveTo = %v, want the injected error", cut, err)
		}
		checkIntact(t, dir, path, before)
		if _, err := Load(path); err != nil {
			t.Errorf("cut at %d: previous checkpoint no longer loads: %v", cut, err)
		}
	}
}

func TestSaveNewFileAndErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "new.safetensors")
	if err := Save(path, sampleCheckpoint()); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o044 != 0o044 {
		t.Errorf("mode %v: checkpoint should be readable by others", st.Mode())
	}
	if err := Save(filepath.Join(dir, "missing", "c.safetensors"), sampleCheckpoint()); err == nil {
		t.Error("Save into a missing directory succeeded")
	}
	if err := Save(dir, sampleCheckpoint()); err == nil { // rename over a directory
		t.Error("Save over a directory succeeded")
	}
	if err := Save(path, nil); err == nil {
		t.Error("Save(nil) succeeded")
	}
	checkIntact(t, dir, path, saveBytesAt(t, path))
}

func saveBytesAt(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
