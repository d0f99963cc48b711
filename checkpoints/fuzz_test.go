package checkpoints

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"testing"
)

// FuzzLoad checks that Load and ReadSafetensors never panic and that every
// Load failure wraps one of the documented sentinels. The seed corpus (a
// valid checkpoint, a foreign file and a few damaged ones) runs in the
// normal test suite; run go test -fuzz FuzzLoad ./checkpoints/ to explore.
func FuzzLoad(f *testing.F) {
	good := saveBytes(f, sampleCheckpoint())
	f.Add(good)
	f.Add(specFile)
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Add(binary.LittleEndian.AppendUint64(nil, 1<<62))
	small := saveBytes(f, &Checkpoint{Tensors: []Tensor{{Name: "x", Shape: []int{2}, Data: []float64{1, 2}}}})
	f.Add(small)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _ = ReadSafetensors(bytes.NewReader(b))
		fh, err := os.CreateTemp(dir, "fuzz-*.safetensors")
		if err != nil {
			t.Fatal(err)
		}
		path := fh.Name()
		defer os.Remove(path)
		_, err = fh.Write(b)
		if err := errors.Join(err, fh.Close()); err != nil {
			t.Fatal(err)
		}
		c, err := Load(path)
		if err != nil {
			if c != nil {
				t.Fatal("Load returned a checkpoint and an error")
			}
			if !wrapsSentinel(err) {
				t.Fatalf("Load error wraps no sentinel: %v", err)
			}
			return
		}
		// Whatever loads must save again (Load accepts nothing Save refuses,
		// except NaN/Inf data, which only a hand-made file can hold).
		if err := Save(path, c); err != nil && !hasNonFinite(c) {
			t.Fatalf("loaded checkpoint does not save: %v", err)
		}
	})
}

func hasNonFinite(c *Checkpoint) bool {
	for _, t := range c.Tensors {
		for _, v := range t.Data {
			if !isFinite(v) {
				return true
			}
		}
	}
	return false
}
