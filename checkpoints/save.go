package checkpoints

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Save validates c and writes it to path atomically: the file is written
// to a temporary file in the same directory, synced, renamed over path and
// the directory synced. On any error path is left as it was and no
// temporary file remains.
//
// Save refuses (with an error wrapping [ErrInvalid] or [ErrMismatch]) a
// checkpoint whose tensors have empty, duplicate or reserved names
// ([StatePrefix]), data lengths not matching their shapes, or NaN or Inf
// values, or that disagrees with its ModelSpecs (see [Metadata.Models]).
// The trainer state c.Meta.Optimizer must be valid JSON; its numeric
// arrays are stored as tensors (see [Encode]). c.Meta.FormatVersion must
// be zero or a version [Load] returned; the file is always written in
// [FormatVersion]. c is not modified.
func Save(path string, c *Checkpoint) error {
	return saveTo(path, c, nil)
}

// Encode validates c as [Save] does and returns the bytes of its file.
// Every non-empty JSON array of numbers in the trainer state
// c.Meta.Optimizer is stored as a 1-D tensor "state.<path>" (I64 if all its
// numbers are integers, else F64) and replaced in the metadata by
// {"$tensor":"state.<path>"}; [Decode] and [Load] put the values back.
func Encode(c *Checkpoint) ([]byte, error) {
	if c == nil {
		return nil, fmt.Errorf("checkpoints: encode: nil checkpoint")
	}
	b, err := encodeCheckpoint(c)
	if err != nil {
		return nil, fmt.Errorf("checkpoints: encode: %w", err)
	}
	return b, nil
}

// saveTo is Save with the file writer optionally wrapped by wrap (tests
// use it to simulate an interrupted write).
func saveTo(path string, c *Checkpoint, wrap func(io.Writer) io.Writer) error {
	if c == nil {
		return fmt.Errorf("checkpoints: save %s: nil checkpoint", path)
	}
	b, err := encodeCheckpoint(c)
	if err != nil {
		return fmt.Errorf("checkpoints: save %s: %w", path, err)
	}
	if err := writeAtomic(path, wrap, b); err != nil {
		return fmt.Errorf("checkpoints: save %s: %w", path, err)
	}
	return nil
}

// encodeCheckpoint validates c and returns the whole file.
func encodeCheckpoint(c *Checkpoint) ([]byte, error) {
	meta := c.Meta
	if meta.FormatVersion < 0 || meta.FormatVersion > FormatVersion {
		return nil, fmt.Errorf("%w: Meta.FormatVersion is %d, this build writes %d (leave it zero)", ErrInvalid, meta.FormatVersion, FormatVersion)
	}
	meta.FormatVersion = FormatVersion

	recs := make([]record, 0, len(c.Tensors))
	infos := make(map[string]tensorInfo, len(c.Tensors))
	for i := range c.Tensors {
		t := &c.Tensors[i]
		if err := checkTensor(t); err != nil {
			return nil, err
		}
		if strings.HasPrefix(t.Name, StatePrefix) {
			return nil, fmt.Errorf("%w: tensor name %q: the prefix %q is reserved for trainer state", ErrInvalid, t.Name, StatePrefix)
		}
		if _, dup := infos[t.Name]; dup {
			return nil, fmt.Errorf("%w: tensor name %q used twice", ErrInvalid, t.Name)
		}
		infos[t.Name] = tensorInfo{shape: t.Shape, dtype: dtypeF64}
		recs = append(recs, record{name: t.Name, dtype: dtypeF64, shape: t.Shape, f64: t.Data})
	}
	if err := checkModels(meta.Models, infos, ErrInvalid); err != nil {
		return nil, err
	}
	if err := checkNormalisers(meta.Normalisers, ErrInvalid); err != nil {
		return nil, err
	}
	state, sts, err := liftState(meta.Optimizer)
	if err != nil {
		return nil, err
	}
	meta.Optimizer = state
	for _, st := range sts {
		recs = append(recs, record{name: st.Name, dtype: st.Dtype, shape: []int{st.len()}, f64: st.F64, i64: st.I64})
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].name < recs[j].name })
	var mbrl strings.Builder
	enc := json.NewEncoder(&mbrl)
	enc.SetEscapeHTML(false) // keep json.RawMessage fields as given, only compacted
	if err := enc.Encode(meta); err != nil {
		return nil, fmt.Errorf("%w: metadata does not encode as JSON (check the json.RawMessage fields): %v", ErrInvalid, err)
	}
	return encode(recs, map[string]string{
		keyFormatVersion: strconv.Itoa(FormatVersion),
		keyMbrl:          strings.TrimSuffix(mbrl.String(), "\n"),
	})
}

// checkTensor validates one tensor for saving.
func checkTensor(t *Tensor) error {
	if t.Name == "" {
		return fmt.Errorf("%w: tensor with an empty name", ErrInvalid)
	}
	if !utf8.ValidString(t.Name) {
		return fmt.Errorf("%w: tensor name %q is not valid UTF-8", ErrInvalid, t.Name)
	}
	if t.Name == metadataKey {
		return fmt.Errorf("%w: tensor name %q is reserved by safetensors", ErrInvalid, t.Name)
	}
	n, ok := numElements(t.Shape, uint64(len(t.Data)))
	if !ok || n != uint64(len(t.Data)) {
		return fmt.Errorf("%w: tensor %q has shape %v but %d values", ErrInvalid, t.Name, t.Shape, len(t.Data))
	}
	for i, v := range t.Data {
		if !isFinite(v) {
			return fmt.Errorf("%w: tensor %q holds %v at index %d; refusing to save a diverged model", ErrInvalid, t.Name, v, i)
		}
	}
	return nil
}

// writeAtomic writes the chunks to a temporary file next to path, syncs
// it and renames it over path, removing the temporary file on failure.
func writeAtomic(path string, wrap func(io.Writer) io.Writer, chunks ...[]byte) (err error) {
	if path, err = WriteTarget(path); err != nil { // never replace a device, FIFO or folder
		return err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close() // may already be closed; the write error matters more
			os.Remove(tmp)
		}
	}()
	var w io.Writer = f
	if wrap != nil {
		w = wrap(f)
	}
	for _, b := range chunks {
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("write %s: %w", tmp, err)
		}
	}
	// CreateTemp makes the file private; checkpoints are ordinary files.
	if err := f.Chmod(FileMode); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable. Windows cannot sync directories.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
