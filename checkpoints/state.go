package checkpoints

import (
	"bytes"
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
// Load reverses this: every reference is replaced by the tensor's values
// (F64 in the shortest form that parses back to the same float64, I64 as
// integers), so Restore sees the same values bit for bit.
const (
	// StatePrefix begins the name of every tensor holding trainer state;
	// model tensors may not use it.
	StatePrefix = "state."
	// tensorRefKey is the key of a reference to a state tensor.
	tensorRefKey = "$tensor"
	dtypeI64     = "I64"
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
// remaining JSON with references. Errors wrap ErrInvalid.
func liftState(raw json.RawMessage) (json.RawMessage, []stateTensor, error) {
	if len(raw) == 0 {
		return nil, nil, nil
	}
	root, err := parseJSON(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: trainer state is not valid JSON: %v", ErrInvalid, err)
	}
	var out []stateTensor
	names := map[string]bool{}
	var walk func(n *jnode, path string) (*jnode, error)
	walk = func(n *jnode, path string) (*jnode, error) {
		switch n.kind {
		case 'o':
			for i, k := range n.keys {
				if k == tensorRefKey {
					return nil, fmt.Errorf("%w: trainer state uses the reserved key %q", ErrInvalid, tensorRefKey)
				}
				v, err := walk(n.vals[i], path+"."+k)
				if err != nil {
					return nil, err
				}
				n.vals[i] = v
			}
		case 'a':
			if st, ok := numericArray(n.elems); ok {
				st.Name = StatePrefix + strings.TrimPrefix(path, ".")
				if names[st.Name] {
					return nil, fmt.Errorf("%w: two arrays of the trainer state map to tensor %q (rename a key)", ErrInvalid, st.Name)
				}
				names[st.Name] = true
				out = append(out, st)
				return &jnode{kind: 'o', keys: []string{tensorRefKey}, vals: []*jnode{{kind: 's', tok: st.Name}}}, nil
			}
			for i, e := range n.elems {
				v, err := walk(e, path+"."+strconv.Itoa(i))
				if err != nil {
					return nil, err
				}
				n.elems[i] = v
			}
		}
		return n, nil
	}
	root, err = walk(root, "")
	if err != nil {
		return nil, nil, err
	}
	var b bytes.Buffer
	root.write(&b)
	return b.Bytes(), out, nil
}

// numericArray returns elems as a state tensor if it is a non-empty array
// of numbers: I64 if every number is an integer literal (other than "-0",
// whose sign an integer would lose), F64 otherwise. Arrays with an integer
// literal beyond int64 or a number beyond float64 stay text.
func numericArray(elems []*jnode) (stateTensor, bool) {
	if len(elems) == 0 {
		return stateTensor{}, false
	}
	ints := make([]int64, 0, len(elems))
	isInt := true
	for _, e := range elems {
		num, ok := e.tok.(json.Number)
		if e.kind != 's' || !ok {
			return stateTensor{}, false
		}
		literal := !strings.ContainsAny(string(num), ".eE")
		v, err := strconv.ParseInt(string(num), 10, 64)
		if literal && err != nil {
			// An integer beyond int64 (a uint64 hash, say) would lose
			// digits as F64 and could not be written back as an integer.
			return stateTensor{}, false
		}
		if isInt && (!literal || string(num) == "-0") {
			isInt = false
		}
		if isInt {
			ints = append(ints, v)
		}
	}
	if isInt {
		return stateTensor{Dtype: dtypeI64, I64: ints}, true
	}
	fs := make([]float64, len(elems))
	for i, e := range elems {
		v, err := strconv.ParseFloat(string(e.tok.(json.Number)), 64)
		if err != nil || math.IsInf(v, 0) {
			return stateTensor{}, false // out of range: stays as text
		}
		fs[i] = v
	}
	return stateTensor{Dtype: dtypeF64, F64: fs}, true
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
