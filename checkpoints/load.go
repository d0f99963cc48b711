package checkpoints

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// Load reads and validates the checkpoint at path. It returns either the
// whole checkpoint or an error, never part of one; the error names path and
// wraps [ErrTruncated], [ErrChecksum], [ErrHeader] (including a file without
// mbrl metadata: read such files with [ReadSafetensors]), [ErrVersion],
// [ErrMismatch] or [ErrInvalid] (a NaN or Inf value, naming the tensor).
// Tensors are returned sorted by name; Shapes and Data are never nil.
// Tensors of declared models must be F64; when Meta.Models is empty, F32
// tensors are accepted and converted to float64. Trainer-state tensors
// ([StatePrefix]) are put back into Meta.Optimizer (see [Encode]) and
// listed in StateTensors, not in Tensors.
//
// A file of format version 1 (whose checksum covered the tensor data only
// and which kept the trainer state as text in the metadata) is read for
// its weights only: Meta.Optimizer is nil, so it can be evaluated or
// inspected but not resumed.
func Load(path string) (*Checkpoint, error) {
	c, err := load(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoints: load %s: %w", path, err)
	}
	return c, nil
}

func load(path string) (*Checkpoint, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, stripPath(err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, stripPath(err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (mode %v)", st.Mode())
	}
	c, err := readCheckpoint(fh, st.Size())
	return c, stripPath(err)
}

// Decode validates and decodes the bytes of a checkpoint file, as [Load]
// does for a file on disk.
func Decode(b []byte) (*Checkpoint, error) {
	c, err := readCheckpoint(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("checkpoints: decode: %w", err)
	}
	return c, nil
}

// readCheckpoint reads and validates a checkpoint of size bytes (-1 if
// unknown) from r.
func readCheckpoint(r io.Reader, size int64) (*Checkpoint, error) {
	f, err := readFile(r, size)
	if err != nil {
		return nil, err
	}
	meta, err := f.metadata()
	if err != nil {
		return nil, err
	}
	infos := make(map[string]tensorInfo, len(f.entries))
	states := map[string]*stateTensor{}
	var stateInfos []TensorInfo
	var model []entry
	for _, e := range f.entries {
		if !strings.HasPrefix(e.name, StatePrefix) {
			if e.dtype == dtypeI64 {
				return nil, fmt.Errorf("%w: tensor %q has dtype I64, which only trainer state (%q...) may use", ErrHeader, e.name, StatePrefix)
			}
			infos[e.name] = tensorInfo{shape: e.shape, dtype: e.dtype}
			model = append(model, e)
			continue
		}
		if meta.FormatVersion < 2 {
			return nil, fmt.Errorf("%w: tensor %q in a format %d file, which keeps trainer state in the metadata", ErrHeader, e.name, meta.FormatVersion)
		}
		if len(e.shape) != 1 || (e.dtype != dtypeF64 && e.dtype != dtypeI64) {
			return nil, fmt.Errorf("%w: state tensor %q must be 1-D F64 or I64, is %s %v", ErrHeader, e.name, e.dtype, e.shape)
		}
		st := &stateTensor{Name: e.name, Dtype: e.dtype}
		b := f.data[e.begin:e.end]
		if e.dtype == dtypeI64 {
			st.I64 = decodeInts(b)
		} else {
			st.F64 = decodeData(dtypeF64, b)
			if err := checkFinite(e.name, st.F64); err != nil {
				return nil, err
			}
		}
		states[e.name] = st
		stateInfos = append(stateInfos, TensorInfo{Name: e.name, Dtype: e.dtype, Shape: []int{e.shape[0]}, Size: e.shape[0]})
	}
	if err := checkModels(meta.Models, infos, ErrHeader); err != nil {
		return nil, err
	}
	if err := checkNormalisers(meta.Normalisers, ErrHeader); err != nil {
		return nil, err
	}
	c := &Checkpoint{Meta: *meta, Tensors: make([]Tensor, len(model)), StateTensors: stateInfos}
	for i, e := range model {
		c.Tensors[i] = f.tensor(e)
		if err := checkFinite(e.name, c.Tensors[i].Data); err != nil {
			return nil, err
		}
	}
	if meta.FormatVersion < 2 {
		// Version 1 kept the trainer state as text in the metadata, which
		// its checksum did not cover: the weights are usable, the state is
		// not trusted.
		c.Meta.Optimizer = nil
		return c, nil
	}
	if c.Meta.Optimizer, err = unliftState(string(meta.Optimizer), states); err != nil {
		return nil, err
	}
	return c, nil
}

// checkFinite reports the first NaN or Inf in the values of tensor name.
func checkFinite(name string, data []float64) error {
	for i, v := range data {
		if !isFinite(v) {
			return fmt.Errorf("%w: tensor %q holds %v at index %d; the run that wrote it diverged, use an earlier checkpoint", ErrInvalid, name, v, i)
		}
	}
	return nil
}

// metadata checks the mbrl "__metadata__" keys in order (format version,
// checksum, then the Metadata JSON) and decodes the Metadata. Versions 1
// (checksum of the data only) and FormatVersion are read.
func (f *file) metadata() (*Metadata, error) {
	mbrl, ok := f.meta[keyMbrl]
	if !ok {
		return nil, fmt.Errorf("%w: no %q key in %s, so not an mbrl checkpoint (plain safetensors files can be read with ReadSafetensors)", ErrHeader, keyMbrl, metadataKey)
	}
	vs, ok := f.meta[keyFormatVersion]
	if !ok {
		return nil, fmt.Errorf("%w: no %q key in %s", ErrHeader, keyFormatVersion, metadataKey)
	}
	v, err := strconv.Atoi(vs)
	if err != nil || strconv.Itoa(v) != vs {
		return nil, fmt.Errorf("%w: %s %q is not an integer", ErrHeader, keyFormatVersion, vs)
	}
	if v != FormatVersion && v != 1 {
		return nil, fmt.Errorf("%w: file has format version %d, this build reads versions 1 and %d; use a matching mbrl version", ErrVersion, v, FormatVersion)
	}
	if err := f.verifyChecksum(true, v == 1); err != nil {
		return nil, err
	}
	var meta Metadata
	if err := json.Unmarshal([]byte(mbrl), &meta); err != nil {
		return nil, fmt.Errorf("%w: %s.%s is not valid Metadata JSON: %v", ErrHeader, metadataKey, keyMbrl, err)
	}
	if meta.FormatVersion != v {
		return nil, fmt.Errorf("%w: metadata says format version %d but %s.%s says %d", ErrHeader, meta.FormatVersion, metadataKey, keyFormatVersion, v)
	}
	return &meta, nil
}

// stripPath drops the path from *fs.PathError (Load's error already names
// it) while keeping errors.Is working on the cause.
func stripPath(err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}
