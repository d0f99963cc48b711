package checkpoints

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
)

// sampleCheckpoint returns a small checkpoint exercising every feature:
// scalar, 3-D and empty tensors, names with dots and slashes, special
// float values, all metadata fields. Tensors are deliberately not sorted.
func sampleCheckpoint() *Checkpoint {
	return &Checkpoint{
		Meta: Metadata{
			Method:      "gps",
			Env:         "Pendulum-v1",
			Seed:        math.MaxUint64 - 1, // beyond float64 precision: must survive JSON exactly
			Iteration:   42,
			ObsSpace:    json.RawMessage(`{"type":"box","low":[-1,-1,-8],"high":[1,1,8]}`),
			ActionSpace: json.RawMessage(`{"type":"box","low":[-2],"high":[2]}`),
			Models: []ModelSpec{
				{
					Name: "policy", Kind: "mlp-policy",
					Arch:    json.RawMessage(`{"hidden":[4],"act":"tanh","note":"<&>"}`),
					Tensors: map[string][]int{"policy.l0.weight": {4, 3}, "policy.l0.bias": {4}, "policy/log_std": {}},
				},
				{
					Name: "dynamics", Kind: "dynamics",
					Tensors: map[string][]int{"dynamics.w": {2, 3, 2}, "dynamics.empty": {0, 3}},
				},
			},
			Normalisers: map[string]Normaliser{"obs": {Mean: []float64{0.1, -0.2, 1e-300}, Std: []float64{1, 2.5, 3}}},
			// Numeric arrays of the trainer state become tensors; Load
			// writes floats back in their shortest form, as here.
			Optimizer: json.RawMessage(`{"adam":{"t":42,"m":[5e-301,1.5],"steps":[3,-0,7]},"data":[[1,2],[0.25,-1e+21]],"flags":[true,false],"empty":[],"none":null}`),
			RNG:       json.RawMessage(`{"pcg":[1,2]}`),
			Extra:     map[string]string{"git": "abc123", "note": "é \"quoted\" <html> & \n"},
		},
		Tensors: []Tensor{
			{Name: "policy.l0.weight", Shape: []int{4, 3}, Data: seq(12, 0.1)},
			{Name: "dynamics.w", Shape: []int{2, 3, 2}, Data: []float64{
				0, math.Copysign(0, -1), math.SmallestNonzeroFloat64, -math.MaxFloat64, math.MaxFloat64, 1.0 / 3,
				math.Pi, -math.E, 1e-310, 2.2250738585072014e-308, math.Nextafter(1, 2), -7,
			}},
			{Name: "policy/log_std", Shape: []int{}, Data: []float64{-0.5}},
			{Name: "policy.l0.bias", Shape: []int{4}, Data: seq(4, -1.25)},
			{Name: "dynamics.empty", Shape: []int{0, 3}, Data: []float64{}},
		},
	}
}

// seq returns n values start, start+1/7, ... (not exactly representable).
func seq(n int, start float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = start + float64(i)/7
	}
	return out
}

// sortedTensors returns a copy of ts sorted by name, as Load returns them.
func sortedTensors(ts []Tensor) []Tensor {
	out := slices.Clone(ts)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// sameTensors reports whether a and b are equal bit for bit (so -0 differs
// from 0 and NaN equals the same NaN).
func sameTensors(t *testing.T, got, want []Tensor) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d tensors, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name || !slices.Equal(g.Shape, w.Shape) || len(g.Data) != len(w.Data) {
			t.Fatalf("tensor %d: got %q %v (%d values), want %q %v (%d values)", i, g.Name, g.Shape, len(g.Data), w.Name, w.Shape, len(w.Data))
		}
		if g.Shape == nil || g.Data == nil {
			t.Errorf("tensor %q: nil Shape or Data", g.Name)
		}
		for j := range w.Data {
			if math.Float64bits(g.Data[j]) != math.Float64bits(w.Data[j]) {
				t.Errorf("tensor %q[%d] = %v (%#x), want %v (%#x)", w.Name, j, g.Data[j], math.Float64bits(g.Data[j]), w.Data[j], math.Float64bits(w.Data[j]))
			}
		}
	}
}

// saveBytes saves c to a fresh directory and returns the file's bytes.
func saveBytes(t testing.TB, c *Checkpoint) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.safetensors")
	if err := Save(path, c); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// splitFile splits a safetensors file into header JSON and data buffer.
func splitFile(t testing.TB, b []byte) (header, data []byte) {
	t.Helper()
	n := binary.LittleEndian.Uint64(b)
	return b[8 : 8+n], b[8+n:]
}

// buildRaw assembles a safetensors file from a header value (marshalled
// with encoding/json, padded to 8 bytes) and a data buffer.
func buildRaw(t testing.TB, header any, data []byte) []byte {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	var out bytes.Buffer
	binary.Write(&out, binary.LittleEndian, uint64(len(h)))
	out.Write(h)
	out.Write(data)
	return out.Bytes()
}

// rewrite decodes a file written by Save, lets edit change the header
// (tensor records as generic JSON, __metadata__ strings, and the decoded
// mbrl Metadata), and re-encodes it with the same data buffer. Unless edit
// changes the checksum, the new file is resealed (its checksum
// recomputed), so that Load checks what lies behind the checksum.
func rewrite(t testing.TB, file []byte, edit func(h map[string]any, meta map[string]string, md *Metadata)) []byte {
	t.Helper()
	hdr, data := splitFile(t, file)
	var h map[string]any
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.UseNumber()
	if err := dec.Decode(&h); err != nil {
		t.Fatal(err)
	}
	meta := map[string]string{}
	for k, v := range h[metadataKey].(map[string]any) {
		meta[k] = v.(string)
	}
	var md Metadata
	if err := json.Unmarshal([]byte(meta[keyMbrl]), &md); err != nil {
		t.Fatal(err)
	}
	sum := meta[keyChecksum]
	edit(h, meta, &md)
	mb, err := json.Marshal(md)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := meta[keyMbrl]; ok {
		meta[keyMbrl] = string(mb)
	}
	h[metadataKey] = meta
	out := buildRaw(t, h, data)
	if meta[keyChecksum] == sum {
		out = reseal(out)
	}
	return out
}

// reseal recomputes the whole-file checksum of b in place, if b has a
// well-formed checksum field, and returns b.
func reseal(b []byte) []byte {
	if len(b) < 8 {
		return b
	}
	n := binary.LittleEndian.Uint64(b)
	if n > uint64(len(b)-8) {
		return b
	}
	head := b[:8+n]
	at, err := checksumOffset(head)
	if err != nil || !isLowerHex(string(head[at:min(at+checksumHexLen, len(head))])) {
		return b
	}
	sum := fileChecksum(head, at, b[8+n:])
	copy(head[at:], sum[len(checksumPrefix):])
	return b
}

// sentinels are the errors Load may wrap.
var sentinels = []error{ErrTruncated, ErrChecksum, ErrHeader, ErrVersion, ErrMismatch, ErrInvalid}

// wrapsSentinel reports whether err wraps one of the Load sentinels.
func wrapsSentinel(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
