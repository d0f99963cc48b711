package checkpoints

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Trainer state (Metadata.Optimizer) is JSON chosen by each trainer. Save
// moves every JSON array of numbers in it into a tensor of its own, so
// that datasets, replay buffers and optimiser moments are stored as
// binary tensors (covered by the checksum like everything else, and
// readable by any safetensors reader) and only scalars and small
// structure stay in the metadata:
//
//   - an array is moved when it is non-empty and all its elements are
//     numbers; it becomes the 1-D tensor "state.<path>", where <path> joins
//     the object keys and array indices leading to it with dots (e.g.
//     "state.learner.adam.m.0");
//   - the tensor is I64 when every element is written as an integer (and
//     not "-0"), F64 otherwise; an array holding an integer beyond int64
//     (which F64 would round) or a number beyond float64 stays text;
//   - the array is replaced in the JSON by {"$tensor":"state.<path>"}.
//
// A trainer may also write an array as F64s, which marshals to
// {"$f64":"<base64>"}: the same tensor (F64, even when its values are
// integers), from the float64s' bytes instead of their decimal text, which
// spares printing and parsing every number (optimiser moments and
// datasets are saved with every iteration's checkpoint).
//
// Load reverses this: every reference is replaced by the tensor's values
// (F64 in the shortest form that parses back to the same float64, I64 as
// integers), so Restore sees the same values bit for bit.
const (
	// StatePrefix begins the name of every tensor holding trainer state;
	// model tensors may not use it.
	StatePrefix = "state."
	// tensorRefKey is the key of a reference to a state tensor.
	tensorRefKey = "$tensor"
	// f64Key is the key of an F64s in its binary form.
	f64Key   = "$f64"
	dtypeI64 = "I64"
)

// stateTensor is one array of trainer state moved into a tensor: F64
// holds its values when Dtype is F64, I64 when it is I64.
type stateTensor struct {
	Name  string
	Dtype string
	F64   []float64
	I64   []int64
}

func (s *stateTensor) len() int {
	if s.Dtype == dtypeI64 {
		return len(s.I64)
	}
	return len(s.F64)
}

// jnode is a JSON value that keeps object keys in their order: an object
// (keys, vals), an array (elems) or a scalar token (tok: json.Number,
// string, bool or nil).
type jnode struct {
	kind  byte // 'o', 'a' or 's'
	keys  []string
	vals  []*jnode
	elems []*jnode
	tok   json.Token
}

// parseJSON parses one JSON value (numbers kept as text) and nothing after
// it but white space.
func parseJSON(raw []byte) (*jnode, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	n, err := parseValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	return n, nil
}

// maxDepth bounds the nesting of trainer-state JSON (the encoding/json
// decoder has its own limit; this one keeps the recursion here shallow).
const maxDepth = 64

func parseValue(dec *json.Decoder, depth int) (*jnode, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("JSON nested deeper than %d levels", maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return &jnode{kind: 's', tok: tok}, nil
	}
	switch d {
	case '{':
		n := &jnode{kind: 'o'}
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, ok := kt.(string)
			if !ok {
				return nil, fmt.Errorf("object key %v is not a string", kt)
			}
			if seen[k] {
				return nil, fmt.Errorf("key %q appears twice in one object", k)
			}
			seen[k] = true
			v, err := parseValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			n.keys, n.vals = append(n.keys, k), append(n.vals, v)
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		return n, nil
	case '[':
		n := &jnode{kind: 'a'}
		for dec.More() {
			v, err := parseValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, v)
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		return n, nil
	}
	return nil, fmt.Errorf("unexpected %v", d)
}

// write appends the JSON text of n to b.
func (n *jnode) write(b *bytes.Buffer) {
	switch n.kind {
	case 'o':
		b.WriteByte('{')
		for i, k := range n.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			n.vals[i].write(b)
		}
		b.WriteByte('}')
	case 'a':
		b.WriteByte('[')
		for i, e := range n.elems {
			if i > 0 {
				b.WriteByte(',')
			}
			e.write(b)
		}
		b.WriteByte(']')
	default:
		switch v := n.tok.(type) {
		case json.Number:
			b.WriteString(string(v))
		case string:
			writeString(b, v)
		case bool:
			b.WriteString(strconv.FormatBool(v))
		case nil:
			b.WriteString("null")
		}
	}
}

func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	b.Truncate(b.Len() - 1)
}

// liftState moves the numeric arrays of the trainer-state JSON raw into
// tensors (see the comment at the top of this file) and returns the
// remaining JSON with references. Errors wrap ErrInvalid. It scans the
// bytes once, without building a tree: a state holds datasets of
// hundreds of thousands of numbers.
func liftState(raw json.RawMessage) (json.RawMessage, []stateTensor, error) {
	if len(raw) == 0 {
		return nil, nil, nil
	}
	if !json.Valid(raw) {
		return nil, nil, fmt.Errorf("%w: trainer state is not valid JSON", ErrInvalid)
	}
	l := &lifter{in: raw, names: map[string]bool{}}
	l.out.Grow(256)
	if err := l.value("", 0); err != nil {
		return nil, nil, err
	}
	return l.out.Bytes(), l.tensors, nil
}

// lifter copies valid JSON from in to out, replacing numeric arrays by
// tensor references.
type lifter struct {
	in      []byte
	pos     int
	out     bytes.Buffer
	tensors []stateTensor
	names   map[string]bool
	spans   []int // scratch: begin, end of each number of an array
}

func (l *lifter) skipSpace() {
	for l.pos < len(l.in) {
		switch l.in[l.pos] {
		case ' ', '\t', '\r', '\n':
			l.pos++
		default:
			return
		}
	}
}

// value copies or lifts the value at l.pos; path names it.
func (l *lifter) value(path string, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: trainer state is nested deeper than %d levels", ErrInvalid, maxDepth)
	}
	l.skipSpace()
	switch l.in[l.pos] {
	case '{':
		return l.object(path, depth)
	case '[':
		if ok, err := l.numericArray(path); ok || err != nil {
			return err
		}
		l.pos++
		l.out.WriteByte('[')
		for i := 0; ; i++ {
			l.skipSpace()
			if l.in[l.pos] == ']' {
				l.pos++
				l.out.WriteByte(']')
				return nil
			}
			if i > 0 {
				l.pos++ // ','
				l.out.WriteByte(',')
			}
			if err := l.value(path+"."+strconv.Itoa(i), depth+1); err != nil {
				return err
			}
		}
	case '"':
		begin := l.pos
		l.skipString()
		l.out.Write(l.in[begin:l.pos])
	default: // number, true, false, null
		begin := l.pos
		for l.pos < len(l.in) && !strings.ContainsRune(" \t\r\n,]}", rune(l.in[l.pos])) {
			l.pos++
		}
		l.out.Write(l.in[begin:l.pos])
	}
	return nil
}

// object copies the object at l.pos, checking its keys.
func (l *lifter) object(path string, depth int) error {
	l.pos++
	l.out.WriteByte('{')
	seen := map[string]bool{}
	for i := 0; ; i++ {
		l.skipSpace()
		if l.in[l.pos] == '}' {
			l.pos++
			l.out.WriteByte('}')
			return nil
		}
		if i > 0 {
			l.pos++ // ','
			l.out.WriteByte(',')
			l.skipSpace()
		}
		begin := l.pos
		l.skipString()
		rawKey := l.in[begin:l.pos]
		var key string
		if bytes.IndexByte(rawKey, '\\') < 0 {
			key = string(rawKey[1 : len(rawKey)-1])
		} else if err := json.Unmarshal(rawKey, &key); err != nil {
			return fmt.Errorf("%w: trainer state key %s: %v", ErrInvalid, rawKey, err)
		}
		if key == tensorRefKey || key == f64Key && i > 0 {
			return fmt.Errorf("%w: trainer state uses the reserved key %q", ErrInvalid, key)
		}
		if key == f64Key {
			return l.binaryArray(path)
		}
		if seen[key] {
			return fmt.Errorf("%w: trainer state has key %q twice in one object", ErrInvalid, key)
		}
		seen[key] = true
		l.out.Write(rawKey)
		l.skipSpace()
		l.pos++ // ':'
		l.out.WriteByte(':')
		if err := l.value(path+"."+key, depth+1); err != nil {
			return err
		}
	}
}

// binaryArray lifts the F64s {"$f64":"<base64>"} whose key l.pos has just
// passed (the object's first) into a tensor; the object must hold nothing
// else.
func (l *lifter) binaryArray(path string) error {
	l.skipSpace()
	l.pos++ // ':'
	l.skipSpace()
	bad := func(why string) error {
		return fmt.Errorf("%w: trainer state at %q: %s", ErrInvalid, strings.TrimPrefix(path, "."), why)
	}
	if l.in[l.pos] != '"' {
		return bad(`"$f64" is not a string`)
	}
	begin := l.pos
	l.skipString()
	v, err := decodeF64s(l.in[begin+1 : l.pos-1])
	if err != nil {
		return bad(err.Error())
	}
	l.skipSpace()
	if l.in[l.pos] != '}' {
		return bad(`an object with "$f64" holds another key`)
	}
	l.pos++
	st := stateTensor{Name: StatePrefix + strings.TrimPrefix(path, "."), Dtype: dtypeF64, F64: v}
	if len(v) == 0 {
		return bad(`"$f64" holds no values`)
	}
	if l.names[st.Name] {
		return fmt.Errorf("%w: two arrays of the trainer state map to tensor %q (rename a key)", ErrInvalid, st.Name)
	}
	l.names[st.Name] = true
	l.tensors = append(l.tensors, st)
	l.out.Truncate(l.out.Len() - 1) // the object's '{', written by object
	l.out.WriteString(`{"` + tensorRefKey + `":`)
	writeString(&l.out, st.Name)
	l.out.WriteByte('}')
	return nil
}

// F64s is a []float64 of trainer state that marshals to JSON in binary,
// {"$f64":"<base64 of the values, 8 bytes each, little-endian>"}, which
// Save stores as a tensor exactly as it stores an array of numbers (see
// the top of this file) without printing and parsing every value. An
// empty F64s marshals to [] and a nil one to null, as []float64 does; a
// non-finite value is an error, as for []float64. It unmarshals from its
// binary form and from an array of numbers (what Load gives back).
type F64s []float64

// MarshalJSON implements json.Marshaler.
func (f F64s) MarshalJSON() ([]byte, error) {
	if f == nil {
		return []byte("null"), nil
	}
	if len(f) == 0 {
		return []byte("[]"), nil
	}
	raw := make([]byte, 8*len(f))
	for i, v := range f {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("checkpoints: trainer state value %d is %v (only finite values can be saved)", i, v)
		}
		binary.LittleEndian.PutUint64(raw[8*i:], math.Float64bits(v))
	}
	enc := base64.StdEncoding
	out := make([]byte, 0, len(`{"$f64":""}`)+enc.EncodedLen(len(raw)))
	out = append(out, `{"`+f64Key+`":"`...)
	out = enc.AppendEncode(out, raw)
	return append(out, `"}`...), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *F64s) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var obj map[string]string
		if err := json.Unmarshal(b, &obj); err != nil {
			return fmt.Errorf("checkpoints: F64s: %v", err)
		}
		enc, ok := obj[f64Key]
		if !ok || len(obj) != 1 {
			return fmt.Errorf(`checkpoints: F64s: an object must hold only the key "%s"`, f64Key)
		}
		v, err := decodeF64s([]byte(enc))
		if err != nil {
			return fmt.Errorf("checkpoints: F64s: %v", err)
		}
		*f = v
		return nil
	}
	var v []float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = v
	return nil
}

// decodeF64s decodes the base64 of an F64s' binary form.
func decodeF64s(enc []byte) ([]float64, error) {
	raw, err := base64.StdEncoding.AppendDecode(nil, enc)
	if err != nil {
		return nil, fmt.Errorf(`"$f64" is not base64: %v`, err)
	}
	if len(raw)%8 != 0 {
		return nil, fmt.Errorf(`"$f64" holds %d bytes, not a whole number of float64s`, len(raw))
	}
	v := make([]float64, len(raw)/8)
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
		if math.IsNaN(v[i]) || math.IsInf(v[i], 0) {
			return nil, fmt.Errorf(`"$f64" value %d is %v (only finite values are saved)`, i, v[i])
		}
	}
	return v, nil
}

// skipString moves l.pos past the string starting at l.pos.
func (l *lifter) skipString() {
	l.pos++
	for l.in[l.pos] != '"' {
		if l.in[l.pos] == '\\' {
			l.pos++
		}
		l.pos++
	}
	l.pos++
}

// numericArray lifts the array at l.pos into a tensor if it is a
// non-empty array of numbers: I64 if every number is an integer literal
// (other than "-0", whose sign an integer would lose), F64 otherwise.
// Arrays with an integer literal beyond int64 or a number beyond float64
// stay text. It reports whether it lifted the array (l.pos is unchanged
// when it did not).
func (l *lifter) numericArray(path string) (bool, error) {
	p := l.pos + 1
	spans := l.spans[:0]
	isInt := true
	for {
		for p < len(l.in) && (l.in[p] == ' ' || l.in[p] == '\t' || l.in[p] == '\r' || l.in[p] == '\n') {
			p++
		}
		if c := l.in[p]; c != '-' && (c < '0' || c > '9') {
			return false, nil // empty, or not a number
		}
		begin := p
		literal := true
		for p < len(l.in) && strings.IndexByte("+-0123456789.eE", l.in[p]) >= 0 {
			if c := l.in[p]; c == '.' || c == 'e' || c == 'E' {
				literal = false
			}
			p++
		}
		if literal && string(l.in[begin:p]) == "-0" {
			isInt = false
		}
		isInt = isInt && literal
		if literal && !fitsInt64(l.in[begin:p]) {
			return false, nil // would lose digits as F64
		}
		spans = append(spans, begin, p)
		for p < len(l.in) && (l.in[p] == ' ' || l.in[p] == '\t' || l.in[p] == '\r' || l.in[p] == '\n') {
			p++
		}
		if l.in[p] == ']' {
			p++
			break
		}
		p++ // ','
	}
	l.spans = spans
	st := stateTensor{Name: StatePrefix + strings.TrimPrefix(path, ".")}
	n := len(spans) / 2
	if isInt {
		st.Dtype, st.I64 = dtypeI64, make([]int64, n)
		for i := range n {
			v, err := strconv.ParseInt(string(l.in[spans[2*i]:spans[2*i+1]]), 10, 64)
			if err != nil {
				return false, nil
			}
			st.I64[i] = v
		}
	} else {
		st.Dtype, st.F64 = dtypeF64, make([]float64, n)
		for i := range n {
			v, err := strconv.ParseFloat(string(l.in[spans[2*i]:spans[2*i+1]]), 64)
			if err != nil || math.IsInf(v, 0) {
				return false, nil // out of range: stays text
			}
			st.F64[i] = v
		}
	}
	if l.names[st.Name] {
		return false, fmt.Errorf("%w: two arrays of the trainer state map to tensor %q (rename a key)", ErrInvalid, st.Name)
	}
	l.names[st.Name] = true
	l.tensors = append(l.tensors, st)
	l.out.WriteString(`{"` + tensorRefKey + `":`)
	writeString(&l.out, st.Name)
	l.out.WriteByte('}')
	l.pos = p
	return true, nil
}

// fitsInt64 reports whether the integer literal b fits in an int64.
func fitsInt64(b []byte) bool {
	digits := len(b)
	if b[0] == '-' {
		digits--
	}
	if digits < 19 {
		return true
	}
	_, err := strconv.ParseInt(string(b), 10, 64)
	return err == nil
}

// unliftState replaces every {"$tensor":name} reference in raw by the
// values of the state tensor called name. Every reference must name a
// state tensor, and every state tensor must be referenced exactly once.
// Errors wrap ErrHeader.
func unliftState(raw string, tensors map[string]*stateTensor) (json.RawMessage, error) {
	if raw == "" {
		if len(tensors) > 0 {
			return nil, fmt.Errorf("%w: %d state tensor(s) but no trainer state", ErrHeader, len(tensors))
		}
		return nil, nil
	}
	root, err := parseJSON([]byte(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: trainer state is not valid JSON: %v", ErrHeader, err)
	}
	used := map[string]bool{}
	var b bytes.Buffer
	var walk func(n *jnode) error
	walk = func(n *jnode) error {
		switch n.kind {
		case 'o':
			if len(n.keys) == 1 && n.keys[0] == tensorRefKey {
				name, ok := n.vals[0].tok.(string)
				if n.vals[0].kind != 's' || !ok {
					return fmt.Errorf("%w: trainer state has a %q reference that is not a string", ErrHeader, tensorRefKey)
				}
				t, ok := tensors[name]
				if !ok {
					return fmt.Errorf("%w: trainer state refers to tensor %q, which the file does not hold", ErrMismatch, name)
				}
				if used[name] {
					return fmt.Errorf("%w: trainer state refers to tensor %q twice", ErrHeader, name)
				}
				used[name] = true
				b.WriteByte('[')
				for i := range t.len() {
					if i > 0 {
						b.WriteByte(',')
					}
					if t.Dtype == dtypeI64 {
						b.WriteString(strconv.FormatInt(t.I64[i], 10))
					} else {
						b.WriteString(strconv.FormatFloat(t.F64[i], 'g', -1, 64))
					}
				}
				b.WriteByte(']')
				return nil
			}
			b.WriteByte('{')
			for i, k := range n.keys {
				if k == tensorRefKey {
					return fmt.Errorf("%w: trainer state has a malformed %q reference", ErrHeader, tensorRefKey)
				}
				if i > 0 {
					b.WriteByte(',')
				}
				writeString(&b, k)
				b.WriteByte(':')
				if err := walk(n.vals[i]); err != nil {
					return err
				}
			}
			b.WriteByte('}')
		case 'a':
			b.WriteByte('[')
			for i, e := range n.elems {
				if i > 0 {
					b.WriteByte(',')
				}
				if err := walk(e); err != nil {
					return err
				}
			}
			b.WriteByte(']')
		default:
			n.write(&b)
		}
		return nil
	}
	if err := walk(root); err != nil {
		return nil, err
	}
	for _, name := range sortedKeys(tensors) {
		if !used[name] {
			return nil, fmt.Errorf("%w: state tensor %q is not referenced by the trainer state", ErrMismatch, name)
		}
	}
	return b.Bytes(), nil
}
