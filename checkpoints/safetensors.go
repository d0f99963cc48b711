package checkpoints

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"unicode/utf8"
)

const (
	dtypeF64 = "F64"
	dtypeF32 = "F32"

	// metadataKey is the reserved header key holding string metadata.
	metadataKey = "__metadata__"
	// maxHeaderLen bounds the header length read from a file, as the
	// reference implementation does, so a corrupt length never causes a
	// huge allocation.
	maxHeaderLen = 100 << 20
	// headerAlign is the alignment of the data buffer start; the header is
	// padded with spaces to reach it.
	headerAlign = 8

	// Keys written by this package under "__metadata__".
	keyFormatVersion = "format_version"
	keyChecksum      = "checksum"
	keyMbrl          = "mbrl"
	checksumPrefix   = "sha256:"
)

// dtypeSize returns the size in bytes of one element of a supported dtype.
func dtypeSize(dtype string) (int, bool) {
	switch dtype {
	case dtypeF64:
		return 8, true
	case dtypeF32:
		return 4, true
	case dtypeI64:
		return 8, true
	}
	return 0, false
}

// ReadSafetensors reads a safetensors file from r: every tensor, converted
// to float64 and sorted by name, and the "__metadata__" strings (nil if the
// file has none). F64, F32 and I64 tensors are supported (I64 values
// beyond 2^53 are rounded). If the metadata holds a "checksum" key written
// by [Save], the file is verified against it.
// Errors wrap [ErrTruncated], [ErrHeader] or [ErrChecksum].
func ReadSafetensors(r io.Reader) (tensors []Tensor, meta map[string]string, err error) {
	f, err := readFile(r, -1)
	if err == nil {
		err = f.verifyChecksum(false, f.meta[keyFormatVersion] == "1")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoints: read safetensors: %w", err)
	}
	return f.tensors(), f.meta, nil
}

// entry is one tensor record of a safetensors header.
type entry struct {
	name       string
	dtype      string
	shape      []int
	begin, end uint64
}

// file is a parsed safetensors file whose header and offsets are valid.
type file struct {
	entries []entry // sorted by name
	meta    map[string]string
	head    []byte // the 8-byte length prefix and the header
	data    []byte
}

// readFile reads and validates a whole safetensors file from r. size is
// the file size in bytes, or -1 if unknown; when known it is used to reject
// bad lengths before reading. The checksum is not verified here.
func readFile(r io.Reader, size int64) (*file, error) {
	if size < 8 {
		size = -1 // unknown, or changed since it was measured
	}
	var prefix [8]byte
	if n, err := io.ReadFull(r, prefix[:]); err != nil {
		switch {
		case n == 0 && errors.Is(err, io.EOF):
			return nil, fmt.Errorf("%w: empty file; the write was interrupted, use an earlier checkpoint", ErrTruncated)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, fmt.Errorf("%w: only %d bytes, not even the 8-byte header length", ErrTruncated, n)
		}
		return nil, err
	}
	hlen := binary.LittleEndian.Uint64(prefix[:])
	switch {
	case hlen > maxHeaderLen:
		return nil, fmt.Errorf("%w: header length %d exceeds the %d-byte limit; not a safetensors file", ErrHeader, hlen, maxHeaderLen)
	case hlen < 2:
		return nil, fmt.Errorf("%w: header length %d is too short for a JSON object; not a safetensors file", ErrHeader, hlen)
	case size >= 0 && hlen > uint64(size-8):
		return nil, fmt.Errorf("%w: header length is %d bytes but only %d bytes follow; use an earlier checkpoint", ErrTruncated, hlen, size-8)
	}
	hdr, err := io.ReadAll(io.LimitReader(r, int64(hlen)))
	if err != nil {
		return nil, err
	}
	if uint64(len(hdr)) < hlen {
		return nil, fmt.Errorf("%w: header length is %d bytes but only %d bytes follow; use an earlier checkpoint", ErrTruncated, hlen, len(hdr))
	}
	f, dataLen, err := parseHeader(hdr)
	if err != nil {
		return nil, err
	}
	f.head = append(prefix[:], hdr...)
	if size >= 0 {
		rest := uint64(size) - 8 - hlen
		if err := checkDataLen(rest, dataLen); err != nil {
			return nil, err
		}
		f.data = make([]byte, dataLen)
		if n, err := io.ReadFull(r, f.data); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%w: tensor data is %d bytes, header declares %d (file shrank while reading)", ErrTruncated, n, dataLen)
			}
			return nil, err
		}
		return f, nil
	}
	limit := int64(math.MaxInt64)
	if dataLen < math.MaxInt64 {
		limit = int64(dataLen) + 1 // one more byte to detect trailing data
	}
	f.data, err = io.ReadAll(io.LimitReader(r, limit))
	if err != nil {
		return nil, err
	}
	if err := checkDataLen(uint64(len(f.data)), dataLen); err != nil {
		return nil, err
	}
	return f, nil
}

// checkDataLen compares the bytes available after the header with the data
// length the header declares.
func checkDataLen(have, want uint64) error {
	switch {
	case have < want:
		return fmt.Errorf("%w: tensor data is %d bytes, header declares %d; use an earlier checkpoint", ErrTruncated, have, want)
	case have > want:
		return fmt.Errorf("%w: %d bytes after the last tensor not described by the header", ErrHeader, have-want)
	}
	return nil
}

// rawEntry is the JSON form of a tensor record, read loosely so that
// missing fields can be told apart from empty ones.
type rawEntry struct {
	Dtype       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets []uint64 `json:"data_offsets"`
}

// parseHeader parses and validates a header: valid UTF-8 JSON object,
// unique keys, string metadata, supported dtypes, sizes matching shapes,
// and offsets tiling [0, dataLen) without gaps or overlaps.
func parseHeader(hdr []byte) (*file, uint64, error) {
	if !utf8.Valid(hdr) {
		return nil, 0, fmt.Errorf("%w: header is not valid UTF-8 (file corrupt)", ErrHeader)
	}
	if hdr[0] != '{' {
		return nil, 0, fmt.Errorf("%w: header does not start with '{'; not a safetensors file", ErrHeader)
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.UseNumber()
	bad := func(err error) error {
		return fmt.Errorf("%w: header is not valid JSON (file corrupt): %v", ErrHeader, err)
	}
	if _, err := dec.Token(); err != nil { // the '{' checked above
		return nil, 0, bad(err)
	}
	f := &file{}
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, 0, bad(err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, 0, bad(fmt.Errorf("object key %v is not a string", tok))
		}
		if seen[name] {
			return nil, 0, fmt.Errorf("%w: key %q appears twice", ErrHeader, name)
		}
		seen[name] = true
		if name == metadataKey {
			if err := dec.Decode(&f.meta); err != nil {
				if isSyntax(err) {
					return nil, 0, bad(err)
				}
				return nil, 0, fmt.Errorf("%w: %s must map strings to strings: %v", ErrHeader, metadataKey, err)
			}
			continue
		}
		var raw rawEntry
		if err := dec.Decode(&raw); err != nil {
			if isSyntax(err) {
				return nil, 0, bad(err)
			}
			return nil, 0, fmt.Errorf(`%w: tensor %q: want {"dtype":string,"shape":[int...],"data_offsets":[begin,end]}: %v`, ErrHeader, name, err)
		}
		e, err := checkEntry(name, raw)
		if err != nil {
			return nil, 0, err
		}
		f.entries = append(f.entries, e)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, 0, bad(err)
	}
	if tok, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = fmt.Errorf("unexpected %v after the header object", tok)
		}
		return nil, 0, bad(err)
	}
	if rest := hdr[dec.InputOffset():]; len(strings.Trim(string(rest), " \t\r\n")) != 0 {
		return nil, 0, bad(errors.New("data after the header object"))
	}

	// The tensors must tile the data buffer in offset order.
	byOffset := make([]*entry, len(f.entries))
	for i := range f.entries {
		byOffset[i] = &f.entries[i]
	}
	sort.SliceStable(byOffset, func(i, j int) bool {
		if byOffset[i].begin != byOffset[j].begin {
			return byOffset[i].begin < byOffset[j].begin
		}
		return byOffset[i].end < byOffset[j].end
	})
	var pos uint64
	for _, e := range byOffset {
		if e.begin != pos {
			what := "a gap"
			if e.begin < pos {
				what = "an overlap"
			}
			return nil, 0, fmt.Errorf("%w: tensor %q starts at data offset %d, expected %d (%s between tensors)", ErrHeader, e.name, e.begin, pos, what)
		}
		pos = e.end
	}
	sort.Slice(f.entries, func(i, j int) bool { return f.entries[i].name < f.entries[j].name })
	return f, pos, nil
}

// isSyntax reports whether err is a JSON syntax error (as opposed to a
// value of the wrong type).
func isSyntax(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF)
}

// checkEntry validates one tensor record on its own.
func checkEntry(name string, raw rawEntry) (entry, error) {
	if name == "" {
		return entry{}, fmt.Errorf("%w: tensor with an empty name", ErrHeader)
	}
	size, ok := dtypeSize(raw.Dtype)
	if !ok {
		return entry{}, fmt.Errorf("%w: tensor %q has dtype %q; only F64, F32 and I64 are supported (convert it to float32 or float64)", ErrHeader, name, raw.Dtype)
	}
	if raw.Shape == nil {
		return entry{}, fmt.Errorf("%w: tensor %q has no shape", ErrHeader, name)
	}
	if len(raw.DataOffsets) != 2 {
		return entry{}, fmt.Errorf("%w: tensor %q has %d data offsets, want 2", ErrHeader, name, len(raw.DataOffsets))
	}
	e := entry{name: name, dtype: raw.Dtype, shape: raw.Shape, begin: raw.DataOffsets[0], end: raw.DataOffsets[1]}
	n, ok := numElements(e.shape, math.MaxInt64/uint64(size))
	if !ok {
		return entry{}, fmt.Errorf("%w: tensor %q has invalid shape %v", ErrHeader, name, e.shape)
	}
	if e.end < e.begin || e.end-e.begin != n*uint64(size) {
		return entry{}, fmt.Errorf("%w: tensor %q: data offsets [%d, %d] do not hold %d %s elements of shape %v", ErrHeader, name, e.begin, e.end, n, e.dtype, e.shape)
	}
	return e, nil
}

// The checksum of a file of format version 2 or later is the sha256 of
// the whole file (length prefix, header and data) in which the 64 hex
// digits of the checksum value itself read as ASCII '0's. The value is
// found at the only occurrence of checksumField in the header (the JSON
// encoder escapes every quote inside a string, so the pattern cannot
// occur inside one); a header with none or several is rejected. Files of
// format version 1 recorded the sha256 of the data buffer only.
const checksumField = `"` + keyChecksum + `":"` + checksumPrefix

// checksumHexLen is the number of hex digits of a sha256 sum.
const checksumHexLen = 2 * sha256.Size

// verifyChecksum checks the "checksum" metadata key: against the whole
// file, or, when legacy is true (format version 1), against the data
// only. A missing key is an error only if required.
func (f *file) verifyChecksum(required, legacy bool) error {
	want, ok := f.meta[keyChecksum]
	if !ok {
		if required {
			return fmt.Errorf("%w: no %q in %s", ErrHeader, keyChecksum, metadataKey)
		}
		return nil
	}
	hexSum, ok := strings.CutPrefix(want, checksumPrefix)
	if !ok || !isLowerHex(hexSum) {
		return fmt.Errorf("%w: checksum %q is not of the form sha256:<64 lowercase hex digits>", ErrHeader, want)
	}
	if legacy {
		if got := checksum(f.data); got != want {
			return fmt.Errorf("%w: tensor data has %s, header records %s; restore the file from a backup or an earlier checkpoint", ErrChecksum, got, want)
		}
		return nil
	}
	at, err := checksumOffset(f.head)
	if err != nil {
		return err
	}
	if string(f.head[at:at+checksumHexLen]) != hexSum {
		return fmt.Errorf("%w: the checksum in the header text differs from the parsed one", ErrHeader)
	}
	if got := fileChecksum(f.head, at, f.data); got != want {
		return fmt.Errorf("%w: file has %s, header records %s; restore the file from a backup or an earlier checkpoint", ErrChecksum, got, want)
	}
	return nil
}

func isLowerHex(s string) bool {
	if len(s) != checksumHexLen {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// checksumOffset returns the offset in head (length prefix and header) of
// the checksum's hex digits.
func checksumOffset(head []byte) (int, error) {
	pat := []byte(checksumField)
	i := bytes.Index(head, pat)
	if i < 0 || bytes.Count(head, pat) != 1 {
		return 0, fmt.Errorf("%w: the header must hold %s exactly once", ErrHeader, checksumField)
	}
	at := i + len(pat)
	if at+checksumHexLen > len(head) {
		return 0, fmt.Errorf("%w: checksum cut short", ErrHeader)
	}
	return at, nil
}

// fileChecksum returns "sha256:<hex>" of head and data with the
// checksumHexLen bytes at head[at:] read as '0's.
func fileChecksum(head []byte, at int, data []byte) string {
	h := sha256.New()
	h.Write(head[:at])
	h.Write([]byte(strings.Repeat("0", checksumHexLen)))
	h.Write(head[at+checksumHexLen:])
	h.Write(data)
	return checksumPrefix + hex.EncodeToString(h.Sum(nil))
}

// checksum returns "sha256:<hex>" of data.
func checksum(data []byte) string {
	sum := sha256.Sum256(data)
	return checksumPrefix + hex.EncodeToString(sum[:])
}

// tensors decodes every entry to a float64 Tensor, in name order. Shapes
// are never nil. I64 values beyond 2^53 are rounded.
func (f *file) tensors() []Tensor {
	out := make([]Tensor, len(f.entries))
	for i, e := range f.entries {
		out[i] = f.tensor(e)
	}
	return out
}

// tensor decodes entry e to a float64 Tensor.
func (f *file) tensor(e entry) Tensor {
	shape := make([]int, len(e.shape))
	copy(shape, e.shape)
	return Tensor{Name: e.name, Shape: shape, Data: decodeData(e.dtype, f.data[e.begin:e.end])}
}

// decodeData converts little-endian F64, F32 or I64 bytes to float64.
func decodeData(dtype string, b []byte) []float64 {
	switch dtype {
	case dtypeF64:
		out := make([]float64, len(b)/8)
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
		return out
	case dtypeF32:
		out := make([]float64, len(b)/4)
		for i := range out {
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
		}
		return out
	case dtypeI64:
		out := make([]float64, len(b)/8)
		for i := range out {
			out[i] = float64(int64(binary.LittleEndian.Uint64(b[8*i:])))
		}
		return out
	}
	panic("checkpoints: decodeData called with unchecked dtype " + dtype)
}

// decodeInts converts little-endian I64 bytes to int64.
func decodeInts(b []byte) []int64 {
	out := make([]int64, len(b)/8)
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return out
}

// headerRecord is the JSON form of a tensor record written by encode.
type headerRecord struct {
	Dtype       string    `json:"dtype"`
	Shape       []int     `json:"shape"`
	DataOffsets [2]uint64 `json:"data_offsets"`
}

// record is one tensor to encode: F64 values, or I64 values when dtype is
// I64.
type record struct {
	name  string
	dtype string
	shape []int
	f64   []float64
	i64   []int64
}

// encode lays out records (already validated and sorted by name) and
// returns the whole file: the 8-byte length prefix, the padded header with
// meta as "__metadata__" and the data buffer. meta must hold a "checksum"
// key (its value is replaced): the file's checksum is computed as
// described at checksumField and written into the header.
func encode(recs []record, meta map[string]string) ([]byte, error) {
	total := 0
	for _, r := range recs {
		total += 8 * (len(r.f64) + len(r.i64))
	}
	data := make([]byte, total)
	hdr := make(map[string]any, len(recs)+1)
	off := 0
	for _, r := range recs {
		begin := off
		if r.dtype == dtypeI64 {
			for _, v := range r.i64 {
				binary.LittleEndian.PutUint64(data[off:], uint64(v))
				off += 8
			}
		} else {
			for _, v := range r.f64 {
				binary.LittleEndian.PutUint64(data[off:], math.Float64bits(v))
				off += 8
			}
		}
		shape := r.shape
		if shape == nil {
			shape = []int{} // scalars are written as "shape":[]
		}
		hdr[r.name] = headerRecord{Dtype: r.dtype, Shape: shape, DataOffsets: [2]uint64{uint64(begin), uint64(off)}}
	}
	m := make(map[string]string, len(meta))
	for k, v := range meta {
		m[k] = v
	}
	m[keyChecksum] = checksumPrefix + strings.Repeat("0", checksumHexLen)
	hdr[metadataKey] = m
	var buf bytes.Buffer
	buf.Grow(8 + 64*len(recs) + len(data))
	buf.Write(make([]byte, 8)) // room for the length prefix
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(hdr); err != nil { // map keys are sorted: deterministic
		return nil, err
	}
	buf.Truncate(buf.Len() - 1) // Encode's trailing newline
	for buf.Len()%headerAlign != 0 {
		buf.WriteByte(' ')
	}
	headLen := buf.Len()
	buf.Write(data)
	out := buf.Bytes()
	binary.LittleEndian.PutUint64(out, uint64(headLen-8))
	head := out[:headLen]
	at, err := checksumOffset(head)
	if err != nil {
		return nil, fmt.Errorf("%w: a tensor name or metadata key collides with the checksum field", ErrInvalid)
	}
	sum := fileChecksum(head, at, out[headLen:])
	copy(head[at:], strings.TrimPrefix(sum, checksumPrefix))
	return out, nil
}
