package checkpoints

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
)

// Load reads and validates the checkpoint at path. It returns either the
// whole checkpoint or an error, never part of one; the error names path and
// wraps [ErrTruncated], [ErrChecksum], [ErrHeader] (including a file without
// mbrl metadata: read such files with [ReadSafetensors]), [ErrVersion] or
// [ErrMismatch]. Tensors are returned sorted by name; Shapes and Data are
// never nil. Tensors of declared models must be F64; when Meta.Models is
// empty, F32 tensors are accepted and converted to float64.
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
	for _, e := range f.entries {
		infos[e.name] = tensorInfo{shape: e.shape, dtype: e.dtype}
	}
	if err := checkModels(meta.Models, infos, ErrHeader); err != nil {
		return nil, err
	}
	if err := checkNormalisers(meta.Normalisers, ErrHeader); err != nil {
		return nil, err
	}
	return &Checkpoint{Meta: *meta, Tensors: f.tensors()}, nil
}

// metadata checks the mbrl "__metadata__" keys in order (format version,
// checksum, then the Metadata JSON) and decodes the Metadata.
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
	if err != nil {
		return nil, fmt.Errorf("%w: %s %q is not an integer", ErrHeader, keyFormatVersion, vs)
	}
	if v != FormatVersion {
		return nil, fmt.Errorf("%w: file has format version %d, this build reads only version %d; use a matching mbrl version", ErrVersion, v, FormatVersion)
	}
	if err := f.verifyChecksum(true); err != nil {
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
