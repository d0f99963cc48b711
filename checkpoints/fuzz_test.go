package checkpoints

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// The fuzz targets of this package; each runs its seed corpus (the f.Add
// calls and testdata/fuzz/<target>/) in every go test. To fuzz one for a
// minute:
//
//	go test ./checkpoints -run '^$' -fuzz '^FuzzLoad$' -fuzztime 1m
//	go test ./checkpoints -run '^$' -fuzz '^FuzzDecodeResealed$' -fuzztime 1m
//	go test ./checkpoints -run '^$' -fuzz '^FuzzState$' -fuzztime 1m

// FuzzLoad checks that Load, Decode and ReadSafetensors never panic, that
// every failure is one line wrapping a documented sentinel, and that
// whatever loads saves again. Random bytes rarely get past the checksum;
// FuzzDecodeResealed explores what lies behind it.
func FuzzLoad(f *testing.F) {
	addSeeds(f)
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
		d, derr := Decode(b)
		if (err == nil) != (derr == nil) {
			t.Fatalf("Load = %v but Decode = %v", err, derr)
		}
		checkLoaded(t, c, err)
		checkLoaded(t, d, derr)
	})
}

// FuzzDecodeResealed recomputes the checksum of the fuzzed bytes before
// decoding them, so that the header, trainer-state and model checks behind
// the checksum are explored: Decode must never panic, fail with one line
// wrapping a sentinel, and return only checkpoints that Describe (what
// inspect prints) and Encode accept and that decode again to the same.
func FuzzDecodeResealed(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		b = reseal(b)
		c, err := Decode(b)
		checkLoaded(t, c, err)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := c.Describe(&out, "fuzz.safetensors"); err != nil {
			t.Fatalf("Describe: %v", err)
		}
		again, err := Encode(c)
		if err != nil {
			t.Fatalf("a decoded checkpoint does not encode: %v", err)
		}
		d, err := Decode(again)
		if err != nil {
			t.Fatalf("a re-encoded checkpoint does not decode: %v", err)
		}
		sameTensors(t, d.Tensors, c.Tensors)
		if !sameJSON(d.Meta.Optimizer, c.Meta.Optimizer) {
			t.Fatalf("trainer state changed: %s became %s", c.Meta.Optimizer, d.Meta.Optimizer)
		}
	})
}

// FuzzState checks that any JSON trainer state that Encode accepts comes
// back from Decode with the same values (numbers compared as float64 or
// int64, bit for bit).
func FuzzState(f *testing.F) {
	f.Add([]byte(`{"adam":{"step":3,"m":[[0.5,-0],[1e-310]],"v":[1,2,3]},"pcg":"cGNn","flags":[true],"big":[18446744073709551615]}`))
	f.Add([]byte(`[[1,2],[3.5],[],null,{"a.b":[1]},{"a":{"b":[2]}}]`))
	f.Add([]byte(`{"$tensor":"state.x"}`))
	f.Add([]byte(`[1e400, 1]`))
	f.Add([]byte(`"just a string"`))
	f.Fuzz(func(t *testing.T, state []byte) {
		if !json.Valid(state) {
			return
		}
		b, err := Encode(&Checkpoint{Meta: Metadata{Optimizer: state}})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Encode error %v does not wrap ErrInvalid", err)
			}
			return
		}
		c, err := Decode(b)
		if err != nil {
			t.Fatalf("state %s: encoded but does not decode: %v", state, err)
		}
		if !sameJSON(c.Meta.Optimizer, state) {
			t.Fatalf("state %s came back as %s", state, c.Meta.Optimizer)
		}
	})
}

// addSeeds adds the seed inputs shared by the byte-level targets.
func addSeeds(f *testing.F) {
	good := saveBytes(f, sampleCheckpoint())
	f.Add(good)
	f.Add(specFile)
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Add(binary.LittleEndian.AppendUint64(nil, 1<<62))
	f.Add(saveBytes(f, &Checkpoint{Tensors: []Tensor{{Name: "x", Shape: []int{2}, Data: []float64{1, 2}}}}))
	f.Add(saveBytes(f, &Checkpoint{Meta: Metadata{Optimizer: json.RawMessage(`{"d":[1,2,3],"e":[0.5]}`)}}))
}

// checkLoaded checks the result of Load or Decode.
func checkLoaded(t *testing.T, c *Checkpoint, err error) {
	t.Helper()
	if err != nil {
		if c != nil {
			t.Fatal("a checkpoint and an error")
		}
		if !wrapsSentinel(err) || strings.Contains(err.Error(), "\n") {
			t.Fatalf("error %q is not one line wrapping a sentinel", err)
		}
		return
	}
	if hasNonFinite(c) {
		t.Fatal("a checkpoint holding NaN or Inf loaded")
	}
}

// sameJSON reports whether a and b hold the same JSON value, numbers
// compared by their float64 or int64 value (a number written "1e2" in one
// and "100" in the other is the same).
func sameJSON(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	x, err1 := decodeAny(a)
	y, err2 := decodeAny(b)
	if err1 != nil || err2 != nil {
		return false
	}
	return equalAny(x, y)
}

func decodeAny(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data")
	}
	return v, nil
}

func equalAny(x, y any) bool {
	switch x := x.(type) {
	case map[string]any:
		y, ok := y.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if !equalAny(v, y[k]) {
				return false
			}
		}
		return true
	case []any:
		y, ok := y.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalAny(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number:
		y, ok := y.(json.Number)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		xi, e1 := x.Int64()
		yi, e2 := y.Int64()
		if e1 == nil && e2 == nil {
			return xi == yi
		}
		xf, e1 := x.Float64()
		yf, e2 := y.Float64()
		return e1 == nil && e2 == nil && sameBits(xf, yf)
	}
	return x == y
}

func sameBits(a, b float64) bool {
	return a == b && (a != 0 || (1/a > 0) == (1/b > 0))
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
