package checkpoints

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadFailures checks that each kind of damage is reported with the
// right sentinel, a one-line message naming the file, and no checkpoint.
func TestLoadFailures(t *testing.T) {
	good := saveBytes(t, sampleCheckpoint())
	hdr, data := splitFile(t, good)
	hlen := len(hdr)
	dataStart := 8 + hlen
	mutate := func(f func(b []byte) []byte) func() []byte {
		return func() []byte { return f(bytes.Clone(good)) }
	}
	flip := func(i int) func() []byte {
		return mutate(func(b []byte) []byte { b[i] ^= 0x01; return b })
	}
	setLen := func(n uint64) func() []byte {
		return mutate(func(b []byte) []byte { binary.LittleEndian.PutUint64(b, n); return b })
	}
	edit := func(f func(h map[string]any, meta map[string]string, md *Metadata)) func() []byte {
		return func() []byte { return rewrite(t, good, f) }
	}
	// f32Checkpoint is a checkpoint whose declared tensor is stored as F32.
	f32Checkpoint := func() []byte {
		d := []byte{0, 0, 0, 0x3f, 0, 0, 0x80, 0x3f}
		mbrl := `{"format_version":1,"method":"","env":"","seed":0,"iteration":0,"models":[{"name":"p","kind":"k","tensors":{"p.w":[2]}}]}`
		return buildRaw(t, map[string]any{
			"p.w":       map[string]any{"dtype": "F32", "shape": []int{2}, "data_offsets": []int{0, 8}},
			metadataKey: map[string]string{keyFormatVersion: "1", keyChecksum: checksum(d), keyMbrl: mbrl},
		}, d)
	}
	// replaceHeader edits the header text, keeping the data.
	replaceHeader := func(old, new string) func() []byte {
		return func() []byte {
			if !bytes.Contains(hdr, []byte(old)) {
				t.Fatalf("header has no %q", old)
			}
			return reseal(buildRawString(strings.Replace(string(hdr), old, new, 1), data))
		}
	}
	lastBrace := 8 + bytes.LastIndexByte(hdr, '}')
	firstColon := 8 + bytes.IndexByte(hdr, ':')

	tests := []struct {
		name string
		file func() []byte
		want error
	}{
		{"empty file", func() []byte { return nil }, ErrTruncated},
		{"cut in length", mutate(func(b []byte) []byte { return b[:5] }), ErrTruncated},
		{"cut after length", mutate(func(b []byte) []byte { return b[:8] }), ErrTruncated},
		{"cut in header", mutate(func(b []byte) []byte { return b[:8+hlen/2] }), ErrTruncated},
		{"cut at last header byte", mutate(func(b []byte) []byte { return b[:dataStart-1] }), ErrTruncated},
		{"cut before data", mutate(func(b []byte) []byte { return b[:dataStart] }), ErrTruncated},
		{"cut in data", mutate(func(b []byte) []byte { return b[:dataStart+len(data)/2] }), ErrTruncated},
		{"cut last byte", mutate(func(b []byte) []byte { return b[:len(b)-1] }), ErrTruncated},
		{"header longer than file", setLen(uint64(len(good))), ErrTruncated},
		{"absurd header length", setLen(1 << 40), ErrHeader},
		{"header length just over limit", setLen(maxHeaderLen + 1), ErrHeader},
		{"max uint64 header length", setLen(math.MaxUint64), ErrHeader},
		{"zero header length", setLen(0), ErrHeader},
		{"header length too short", setLen(uint64(hlen - 1)), ErrHeader},
		{"trailing data", mutate(func(b []byte) []byte { return append(b, 0) }), ErrHeader},
		{"flipped first data byte", flip(dataStart), ErrChecksum},
		{"flipped last data byte", flip(len(good) - 1), ErrChecksum},
		{"flipped header open brace", flip(8), ErrHeader},
		{"flipped header colon", flip(firstColon), ErrHeader},
		{"flipped header close brace", flip(lastBrace), ErrHeader},
		{"invalid UTF-8 in header", mutate(func(b []byte) []byte { b[8+2] = 0xff; return b }), ErrHeader},
		{"duplicate key", replaceHeader(`"dynamics.w":`, `"dynamics.empty":`), ErrHeader},
		{"format version 3", edit(func(_ map[string]any, m map[string]string, md *Metadata) {
			m[keyFormatVersion] = "3"
			md.FormatVersion = 3
		}), ErrVersion},
		{"format version 02", edit(func(_ map[string]any, m map[string]string, _ *Metadata) { m[keyFormatVersion] = "02" }), ErrHeader},
		{"uppercase checksum", mutate(func(b []byte) []byte {
			at, _ := checksumOffset(b[:dataStart])
			copy(b[at:], bytes.ToUpper(b[at:at+checksumHexLen]))
			return b
		}), ErrHeader},
		{"checksum pattern inside a string", edit(func(_ map[string]any, m map[string]string, _ *Metadata) {
			m["x"] = checksumField // its quotes are escaped in the header: no second field
		}), nil},
		{"checksum key spelt with an escape", replaceHeader(`"checksum":`, `"\u0063hecksum":`), ErrHeader},
		{"NaN weight with a valid checksum", mutate(func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[dataStart:], math.Float64bits(math.NaN()))
			return reseal(b)
		}), ErrInvalid},
		{"Inf state value with a valid checksum", mutate(func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[dataStart+stateOffset(t, hdr, "state.adam.m"):], math.Float64bits(math.Inf(-1)))
			return reseal(b)
		}), ErrInvalid},
		{"state tensor not referenced", edit(func(_ map[string]any, _ map[string]string, md *Metadata) {
			md.Optimizer = json.RawMessage(`{"adam":{"t":42,"m":{"$tensor":"state.adam.m"},"steps":{"$tensor":"state.adam.steps"}},"data":[{"$tensor":"state.data.0"},{"$tensor":"state.data.1"}],"flags":[true,false],"empty":[],"none":null}`)
		}), nil},
		{"state reference to a missing tensor", edit(func(_ map[string]any, _ map[string]string, md *Metadata) {
			md.Optimizer = json.RawMessage(`{"m":{"$tensor":"state.nope"}}`)
		}), ErrMismatch},
		{"state tensor unused", edit(func(_ map[string]any, _ map[string]string, md *Metadata) {
			md.Optimizer = json.RawMessage(`{"adam":{"t":42,"m":{"$tensor":"state.adam.m"},"steps":{"$tensor":"state.adam.steps"}},"data":[{"$tensor":"state.data.0"}]}`)
		}), ErrMismatch},
		{"state tensor referenced twice", edit(func(_ map[string]any, _ map[string]string, md *Metadata) {
			md.Optimizer = json.RawMessage(`{"adam":{"t":42,"m":{"$tensor":"state.adam.m"},"steps":{"$tensor":"state.adam.steps"}},"data":[{"$tensor":"state.data.0"},{"$tensor":"state.data.1"},{"$tensor":"state.data.1"}]}`)
		}), ErrHeader},
		{"state without trainer state", edit(func(_ map[string]any, _ map[string]string, md *Metadata) { md.Optimizer = nil }), ErrHeader},
		{"state tensor 2-D", edit(func(h map[string]any, _ map[string]string, _ *Metadata) {
			h["state.data.0"].(map[string]any)["shape"] = []int{1, 2}
		}), ErrHeader},
		{"state tensor F32", edit(func(h map[string]any, _ map[string]string, _ *Metadata) {
			h["state.adam.steps"].(map[string]any)["dtype"] = "F32"
			h["state.adam.steps"].(map[string]any)["shape"] = []int{6}
		}), ErrHeader},
		{"format version 0", edit(func(_ map[string]any, m map[string]string, _ *Metadata) { m[keyFormatVersion] = "0" }), ErrVersion},
		{"format version not a number", edit(func(_ map[string]any, m map[string]string, _ *Metadata) { m[keyFormatVersion] = "one" }), ErrHeader},
		{"format versions disagree", edit(func(_ map[string]any, _ map[string]string, md *Metadata) { md.FormatVersion = 3 }), ErrHeader},
		{"no format version", edit(func(_ map[string]any, m map[string]string, _ *Metadata) { delete(m, keyFormatVersion) }), ErrHeader},
		{"no checksum", edit(func(_ map[string]any, m map[string]string, _ *Metadata) { delete(m, keyChecksum) }), ErrHeader},
		{"malformed checksum", edit(func(_ map[string]any, m map[string]string, _ *Metadata) { m[keyChecksum] = "md5:00" }), ErrHeader},
		{"wrong checksum", edit(func(_ map[string]any, m map[string]string, _ *Metadata) { m[keyChecksum] = checksum([]byte("x")) }), ErrChecksum},
		{"no mbrl metadata", edit(func(_ map[string]any, m map[string]string, _ *Metadata) { delete(m, keyMbrl) }), ErrHeader},
		{"no metadata at all", edit(func(h map[string]any, m map[string]string, _ *Metadata) { clear(m) }), ErrHeader},
		{"mbrl metadata not JSON", replaceHeader(`"mbrl":"{`, `"mbrl":"[`), ErrHeader},
		{"metadata not strings", replaceHeader(`"checksum":"`, `"checksum":1,"x":"`), ErrHeader},
		{"header not an object", replaceHeader(`{"__metadata__"`, `[{"__metadata__"`), ErrHeader},
		{"garbage after header", replaceHeader(`}}`, `}}x`), ErrHeader},
		{"shape mismatch", edit(func(_ map[string]any, _ map[string]string, md *Metadata) {
			md.Models[0].Tensors["policy.l0.weight"] = []int{3, 4}
		}), ErrMismatch},
		{"rank mismatch", edit(func(_ map[string]any, _ map[string]string, md *Metadata) {
			md.Models[0].Tensors["policy/log_std"] = []int{1}
		}), ErrMismatch},
		{"missing tensor", edit(func(_ map[string]any, _ map[string]string, md *Metadata) {
			md.Models[0].Tensors["policy.l1.weight"] = []int{2, 4}
		}), ErrMismatch},
		{"undeclared tensor", edit(func(_ map[string]any, _ map[string]string, md *Metadata) {
			delete(md.Models[1].Tensors, "dynamics.w")
		}), ErrMismatch},
		{"tensor declared twice", edit(func(_ map[string]any, _ map[string]string, md *Metadata) {
			md.Models[1].Tensors["policy.l0.bias"] = []int{4}
		}), ErrHeader},
		{"duplicate model", edit(func(_ map[string]any, _ map[string]string, md *Metadata) { md.Models[1].Name = "policy" }), ErrHeader},
		{"normaliser lengths", edit(func(_ map[string]any, _ map[string]string, md *Metadata) {
			md.Normalisers["obs"] = Normaliser{Mean: []float64{1, 2}, Std: []float64{1}}
		}), ErrHeader},
		{"declared tensor stored as F32", f32Checkpoint, ErrMismatch},
		{"unsupported dtype I64", edit(func(h map[string]any, _ map[string]string, _ *Metadata) {
			h["dynamics.w"].(map[string]any)["dtype"] = "I64"
		}), ErrHeader},
		{"unsupported dtype F16", edit(func(h map[string]any, _ map[string]string, _ *Metadata) {
			h["dynamics.w"].(map[string]any)["dtype"] = "F16"
		}), ErrHeader},
		{"shape does not fit offsets", edit(func(h map[string]any, _ map[string]string, md *Metadata) {
			h["dynamics.w"].(map[string]any)["shape"] = []int{2, 3, 3}
			md.Models[1].Tensors["dynamics.w"] = []int{2, 3, 3}
		}), ErrHeader},
		{"negative dimension", edit(func(h map[string]any, _ map[string]string, _ *Metadata) {
			h["dynamics.empty"].(map[string]any)["shape"] = []int{-1, 0}
		}), ErrHeader},
		{"no shape", edit(func(h map[string]any, _ map[string]string, _ *Metadata) {
			delete(h["policy/log_std"].(map[string]any), "shape")
		}), ErrHeader},
		{"three offsets", edit(func(h map[string]any, _ map[string]string, _ *Metadata) {
			h["policy/log_std"].(map[string]any)["data_offsets"] = []any{0, 8, 16}
		}), ErrHeader},
		{"overlapping offsets", edit(func(h map[string]any, _ map[string]string, _ *Metadata) {
			// Swap the offsets of two equally sized tensors' neighbours: make
			// the scalar point into the first tensor.
			h["policy/log_std"].(map[string]any)["data_offsets"] = []int{0, 8}
		}), ErrHeader},
		{"tensor as a number", edit(func(h map[string]any, _ map[string]string, _ *Metadata) { h["policy/log_std"] = 5 }), ErrHeader},
	}

	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "bad.safetensors")
			if err := os.WriteFile(path, tt.file(), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := Load(path)
			if tt.want == nil {
				// Cases that look suspicious but are sound.
				if err != nil {
					t.Fatalf("Load = %v, want success", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Load = %v, want %v", err, tt.want)
			}
			if c != nil {
				t.Error("Load returned a checkpoint with an error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "checkpoints: load "+path+": ") || strings.Contains(msg, "\n") {
				t.Errorf("message %q: want one line starting with %q", msg, "checkpoints: load "+path+": ")
			}
			for _, s := range sentinels {
				if s != tt.want && errors.Is(err, s) {
					t.Errorf("error also wraps %v", s)
				}
			}
			t.Log(msg)
		})
	}
}

// buildRawString assembles a file from an already padded or unpadded header.
func buildRawString(hdr string, data []byte) []byte {
	for len(hdr)%8 != 0 {
		hdr += " "
	}
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	b = append(b, hdr...)
	return append(b, data...)
}

// TestLoadMessage pins the shape of the message users see.
func TestLoadMessage(t *testing.T) {
	good := saveBytes(t, sampleCheckpoint())
	good[len(good)-1] ^= 0x80
	path := filepath.Join(t.TempDir(), "final.safetensors")
	if err := os.WriteFile(path, good, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	want := "checkpoints: load " + path + ": checksum mismatch (file corrupt): file has sha256:"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Load = %v, want prefix %q", err, want)
	}
}

func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(filepath.Join(dir, "missing.safetensors"))
	if !errors.Is(err, os.ErrNotExist) || strings.Count(err.Error(), "missing.safetensors") != 1 {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Load(dir); err == nil {
		t.Error("loading a directory succeeded")
	}
}

// TestLoadEveryByteFlip changes each byte of a valid file in turn (three
// ways): Load must reject every change, with one line wrapping a sentinel,
// and report ErrChecksum for any change in the data. With format version 1
// a flip in the metadata (a letter of the env name, a digit of the trainer
// state) was accepted.
func TestLoadEveryByteFlip(t *testing.T) {
	good := saveBytes(t, sampleCheckpoint())
	dataStart := 8 + int(binary.LittleEndian.Uint64(good))
	b := bytes.Clone(good)
	for i := range b {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			b[i] ^= mask
			c, err := readCheckpoint(bytes.NewReader(b), int64(len(b)))
			b[i] ^= mask
			switch {
			case err == nil:
				t.Fatalf("flip %#x at byte %d not detected", mask, i)
			case c != nil:
				t.Fatalf("flip %#x at byte %d: checkpoint and error", mask, i)
			case !wrapsSentinel(err) || strings.Contains(err.Error(), "\n"):
				t.Fatalf("flip %#x at byte %d: error %q wraps no sentinel or spans lines", mask, i, err)
			case i >= dataStart && !errors.Is(err, ErrChecksum):
				t.Fatalf("flip %#x at data byte %d: %v, want ErrChecksum", mask, i, err)
			}
		}
	}
}

// stateOffset returns the data offset of tensor name in header hdr.
func stateOffset(t *testing.T, hdr []byte, name string) int {
	t.Helper()
	var h map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &h); err != nil {
		t.Fatal(err)
	}
	var rec struct {
		DataOffsets []int `json:"data_offsets"`
	}
	if err := json.Unmarshal(h[name], &rec); err != nil || len(rec.DataOffsets) != 2 {
		t.Fatalf("no tensor %q in the header: %v", name, err)
	}
	return rec.DataOffsets[0]
}
