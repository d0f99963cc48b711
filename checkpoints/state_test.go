package checkpoints

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

// trainerStateSample has every kind of field a trainer state holds.
type trainerStateSample struct {
	Step    int                  `json:"step"`
	Floats  []float64            `json:"floats"`
	Ints    []int64              `json:"ints"`
	Big     []uint64             `json:"big"` // beyond int64: stays text
	Rows    [][]float64          `json:"rows"`
	Norms   map[string][]float64 `json:"norms"`
	Flags   []bool               `json:"flags"`
	PCG     []byte               `json:"pcg"`
	Opt     []*float64           `json:"opt"`
	Empty   []float64            `json:"empty"`
	Integer []float64            `json:"integer"` // floats that print as integers
}

func sampleState() trainerStateSample {
	h := 0.5
	return trainerStateSample{
		Step:    7,
		Floats:  []float64{math.Copysign(0, -1), 1e-310, math.MaxFloat64, -math.SmallestNonzeroFloat64, 1.0 / 3, math.Nextafter(1, 2), 1e21, 1e-7},
		Ints:    []int64{math.MaxInt64, math.MinInt64, 0, -1},
		Big:     []uint64{math.MaxUint64, 1},
		Rows:    [][]float64{{1, 2.5}, {}, {-3}},
		Norms:   map[string][]float64{"b": {1, 2}, "a": {0.1}},
		Flags:   []bool{true, false},
		PCG:     []byte("pcg:0123456789abcdef"),
		Opt:     []*float64{nil, &h},
		Empty:   []float64{},
		Integer: []float64{1, 2, 9007199254740993, -4},
	}
}

// TestStateRoundTrip checks that the trainer state survives Encode and
// Decode bit for bit, that its numeric arrays are stored as tensors (I64
// where integral) and that no numeric array is left in the metadata.
func TestStateRoundTrip(t *testing.T) {
	want := sampleState()
	raw, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Encode(&Checkpoint{Meta: Metadata{Optimizer: raw}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	var got trainerStateSample
	if err := json.Unmarshal(c.Meta.Optimizer, &got); err != nil {
		t.Fatalf("restored state %s: %v", c.Meta.Optimizer, err)
	}
	again, _ := json.Marshal(got)
	if !bytes.Equal(again, raw) {
		t.Errorf("state differs:\n got %s\nwant %s", again, raw)
	}
	if math.Float64bits(got.Floats[0]) != math.Float64bits(want.Floats[0]) {
		t.Error("-0 lost its sign")
	}
	dtypes := map[string]string{}
	for _, s := range c.StateTensors {
		dtypes[s.Name] = s.Dtype
	}
	wantDtypes := map[string]string{
		"state.floats": "F64", "state.ints": "I64", "state.rows.0": "F64", "state.rows.2": "I64",
		"state.norms.a": "F64", "state.norms.b": "I64", "state.integer": "I64",
	}
	for name, dt := range wantDtypes {
		if dtypes[name] != dt {
			t.Errorf("state tensor %q: dtype %q, want %q (all: %v)", name, dtypes[name], dt, dtypes)
		}
	}
	if len(dtypes) != len(wantDtypes) {
		t.Errorf("state tensors %v, want %v", dtypes, wantDtypes)
	}
	// The metadata keeps only scalars, references and non-numeric arrays.
	hdr, _ := splitFile(t, b)
	var h map[string]json.RawMessage
	var meta map[string]string
	if err := json.Unmarshal(hdr, &h); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(h[metadataKey], &meta); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"1e-310", "9223372036854775807", "2.5"} {
		if strings.Contains(meta[keyMbrl], s) {
			t.Errorf("metadata still holds %s: %s", s, meta[keyMbrl])
		}
	}
}

func TestStateRefused(t *testing.T) {
	tests := []struct {
		name  string
		state string
	}{
		{"not JSON", `{"a":`},
		{"reserved key", `{"$tensor":"x"}`},
		{"reserved key nested", `{"a":[{"$tensor":[1]}]}`},
		{"two arrays, one tensor name", `{"a.b":[1],"a":{"b":[2]}}`},
		{"duplicate key", `{"a":1,"a":2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Encode(&Checkpoint{Meta: Metadata{Optimizer: json.RawMessage(tt.state)}})
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Encode = %v, want ErrInvalid", err)
			}
		})
	}
	_, err := Encode(&Checkpoint{Tensors: []Tensor{{Name: "state.x", Shape: []int{1}, Data: []float64{1}}}})
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("model tensor with the state prefix: Encode = %v, want ErrInvalid", err)
	}
}

// TestLoadFormat1 checks that a file written by format version 1 (data
// checksum, trainer state as metadata text) loads for its weights, without
// its trainer state, and that its data is still verified.
func TestLoadFormat1(t *testing.T) {
	data := make([]byte, 16)
	copy(data, []byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x40}) // 1, 2
	mbrl := `{"format_version":1,"method":"bc","env":"pendulum","seed":3,"iteration":2,` +
		`"models":[{"name":"p","kind":"k","tensors":{"p.w":[2]}}],"optimizer":{"data":"AAAA"}}`
	file := buildRaw(t, map[string]any{
		"p.w":       map[string]any{"dtype": "F64", "shape": []int{2}, "data_offsets": []int{0, 16}},
		metadataKey: map[string]string{keyFormatVersion: "1", keyChecksum: checksum(data), keyMbrl: mbrl},
	}, data)
	c, err := Decode(file)
	if err != nil {
		t.Fatal(err)
	}
	if c.Meta.FormatVersion != 1 || c.Meta.Optimizer != nil || c.Meta.Method != "bc" {
		t.Errorf("meta %+v: want version 1, no trainer state", c.Meta)
	}
	if w, ok := c.Tensor("p.w"); !ok || w.Data[0] != 1 || w.Data[1] != 2 {
		t.Errorf("weights %v", c.Tensors)
	}
	var buf bytes.Buffer
	if err := c.Describe(&buf, "old.safetensors"); err != nil || !strings.Contains(buf.String(), "resumable   no (format 1") {
		t.Errorf("Describe: %v\n%s", err, buf.String())
	}
	if _, err := Encode(c); err != nil {
		t.Errorf("a loaded format 1 checkpoint does not save: %v", err)
	}
	file[len(file)-1] ^= 1
	if _, err := Decode(file); !errors.Is(err, ErrChecksum) {
		t.Errorf("damaged format 1 data: %v, want ErrChecksum", err)
	}
}
