package checkpoints

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// specFile is a two-tensor safetensors file written byte by byte from the
// public format description: tensor "a" is F64 [1, -2.5] at data bytes
// [0,16), tensor "b" an F32 scalar 0.5 at [16,20). The header lists "b"
// first and has metadata in the middle, which readers must accept, and is
// padded with 4 spaces to 144 bytes.
const specHeader = `{"b":{"dtype":"F32","shape":[],"data_offsets":[16,20]},` +
	`"__metadata__":{"format":"pt"},` +
	`"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}    `

var specFile = slicesConcat(
	[]byte{0x90, 0, 0, 0, 0, 0, 0, 0}, // header length 144, little-endian u64
	[]byte(specHeader),
	[]byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f}, // 1.0 as F64 LE
	[]byte{0, 0, 0, 0, 0, 0, 0x04, 0xc0}, // -2.5 as F64 LE
	[]byte{0, 0, 0, 0x3f},                // 0.5 as F32 LE
)

func slicesConcat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestReadSpecFile(t *testing.T) {
	if len(specHeader) != 144 {
		t.Fatalf("hand-written header is %d bytes, the prefix says 144", len(specHeader))
	}
	tensors, meta, err := ReadSafetensors(bytes.NewReader(specFile))
	if err != nil {
		t.Fatal(err)
	}
	want := []Tensor{
		{Name: "a", Shape: []int{2}, Data: []float64{1, -2.5}},
		{Name: "b", Shape: []int{}, Data: []float64{0.5}},
	}
	sameTensors(t, tensors, want)
	if !reflect.DeepEqual(meta, map[string]string{"format": "pt"}) {
		t.Errorf("metadata = %v", meta)
	}

	// Load needs mbrl metadata and says so.
	path := filepath.Join(t.TempDir(), "plain.safetensors")
	if err := os.WriteFile(path, specFile, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); !errors.Is(err, ErrHeader) || !strings.Contains(err.Error(), "ReadSafetensors") {
		t.Errorf("Load(plain file) = %v, want ErrHeader pointing to ReadSafetensors", err)
	}
}

func TestReadSafetensorsVariants(t *testing.T) {
	f32 := func(v float32) []byte { return binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)) }
	tests := []struct {
		name    string
		file    []byte
		want    []Tensor
		wantErr error
	}{
		{"no metadata, unpadded", buildRawString(`{"x":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}`, slicesConcat(f32(1.5), f32(-3))),
			[]Tensor{{Name: "x", Shape: []int{1, 2}, Data: []float64{1.5, -3}}}, nil},
		{"empty header", buildRawString(`{}`, nil), []Tensor{}, nil},
		{"zero-sized tensors share an offset", buildRawString(
			`{"e":{"dtype":"F64","shape":[0],"data_offsets":[0,0]},"f":{"dtype":"F32","shape":[2,0],"data_offsets":[0,0]},"s":{"dtype":"F64","shape":[],"data_offsets":[0,8]}}`,
			binary.LittleEndian.AppendUint64(nil, math.Float64bits(math.Copysign(0, -1)))),
			[]Tensor{{Name: "e", Shape: []int{0}, Data: []float64{}}, {Name: "f", Shape: []int{2, 0}, Data: []float64{}}, {Name: "s", Shape: []int{}, Data: []float64{math.Copysign(0, -1)}}}, nil},
		{"F32 special values", buildRawString(`{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}`,
			slicesConcat(f32(float32(math.Inf(-1))), f32(math.SmallestNonzeroFloat32), f32(math.MaxFloat32))),
			[]Tensor{{Name: "x", Shape: []int{3}, Data: []float64{math.Inf(-1), math.SmallestNonzeroFloat32, math.MaxFloat32}}}, nil},
		{"gap between tensors", buildRawString(`{"x":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}`, make([]byte, 8)), nil, ErrHeader},
		{"offsets beyond data", buildRawString(`{"x":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, make([]byte, 2)), nil, ErrTruncated},
		{"end before begin", buildRawString(`{"x":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}`, nil), nil, ErrHeader},
		{"huge shape", buildRawString(`{"x":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, make([]byte, 8)), nil, ErrHeader},
		{"fractional dimension", buildRawString(`{"x":{"dtype":"F64","shape":[1.5],"data_offsets":[0,8]}}`, make([]byte, 8)), nil, ErrHeader},
		{"negative offset", buildRawString(`{"x":{"dtype":"F64","shape":[],"data_offsets":[-8,0]}}`, nil), nil, ErrHeader},
		{"empty tensor name", buildRawString(`{"":{"dtype":"F64","shape":[],"data_offsets":[0,8]}}`, make([]byte, 8)), nil, ErrHeader},
		{"bad checksum in foreign file", buildRawString(`{"__metadata__":{"checksum":"`+checksum([]byte{1})+`"},"x":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, make([]byte, 4)), nil, ErrChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := ReadSafetensors(bytes.NewReader(tt.file))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ReadSafetensors error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "checkpoints: read safetensors: ") {
					t.Errorf("message %q lacks the package prefix", err)
				}
				return
			}
			sameTensors(t, got, tt.want)
		})
	}
}

// TestWriterConformsToSpec checks a file written by Save with a plain JSON
// parser against the format rules: 8-byte aligned header padded with
// spaces, F64 records with contiguous offsets in name order covering the
// whole data buffer, string-only metadata, and a correct checksum.
func TestWriterConformsToSpec(t *testing.T) {
	file := saveBytes(t, sampleCheckpoint())
	n := binary.LittleEndian.Uint64(file)
	if (8+n)%8 != 0 {
		t.Errorf("data starts at byte %d, not 8-byte aligned", 8+n)
	}
	hdr, data := file[8:8+n], file[8+n:]
	trimmed := bytes.TrimRight(hdr, " ")
	if !json.Valid(trimmed) || hdr[0] != '{' || len(hdr)-len(trimmed) >= 8 {
		t.Fatalf("header is not a JSON object padded with fewer than 8 spaces: %q", hdr)
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &h); err != nil {
		t.Fatal(err)
	}
	var meta map[string]string
	if err := json.Unmarshal(h[metadataKey], &meta); err != nil {
		t.Fatalf("__metadata__ is not string to string: %v", err)
	}
	at, err := checksumOffset(file[:8+n])
	if err != nil {
		t.Fatal(err)
	}
	if meta[keyFormatVersion] != strconv.Itoa(FormatVersion) || meta[keyChecksum] != fileChecksum(file[:8+n], at, data) || !json.Valid([]byte(meta[keyMbrl])) {
		t.Errorf("metadata keys: %v", meta)
	}
	delete(h, metadataKey)
	var pos uint64
	for _, name := range sortedKeys(h) {
		var rec struct {
			Dtype       string   `json:"dtype"`
			Shape       []int    `json:"shape"`
			DataOffsets []uint64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(h[name], &rec); err != nil {
			t.Fatal(err)
		}
		numel := uint64(1)
		for _, d := range rec.Shape {
			numel *= uint64(d)
		}
		wantDtype := "F64"
		if name == "state.data.0" { // [1,2]; "steps" holds -0, so it is F64

			wantDtype = "I64"
		}
		if rec.Dtype != wantDtype || rec.Shape == nil || len(rec.DataOffsets) != 2 ||
			rec.DataOffsets[0] != pos || rec.DataOffsets[1]-rec.DataOffsets[0] != 8*numel {
			t.Errorf("tensor %q: record %s, expected %s starting at %d", name, h[name], wantDtype, pos)
		}
		pos = rec.DataOffsets[1]
	}
	if pos != uint64(len(data)) {
		t.Errorf("tensors cover %d bytes, data buffer is %d", pos, len(data))
	}
}
