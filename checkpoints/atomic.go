package checkpoints

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// FileMode is the mode of every file mbrl writes: readable by all,
// writable by its owner (0644, whatever the umask).
const FileMode fs.FileMode = 0o644

// WriteFileAtomic writes data to path the way Save writes a checkpoint: to
// a temporary file in the same folder (created if missing), synced, then
// renamed over path, so a crash never leaves a half-written file. It
// never replaces what is not a regular file: a symlink is written
// through (its target is replaced), and a device, FIFO, socket or folder
// at path is an error (WriteTarget). The file gets FileMode.
func WriteFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("checkpoints: write %s: %w", path, err)
	}
	if err := writeAtomic(path, nil, data); errors.Is(err, ErrNotRegular) {
		return fmt.Errorf("checkpoints: %w", err)
	} else if err != nil {
		return fmt.Errorf("checkpoints: write %s: %w", path, err)
	}
	return nil
}

// ErrNotRegular is wrapped by WriteTarget's error for a path that names
// something other than a regular file (or a symlink to one).
var ErrNotRegular = errors.New("not a regular file")

// WriteTarget returns the path a write to path must replace: path itself
// when nothing is there or a regular file is; the final target of a
// symlink (followed through chains, relative to each link's folder) when
// that target is a regular file or does not exist yet. Anything else (a
// character or block device, a FIFO, a socket, a folder, a symlink loop)
// is an error wrapping ErrNotRegular that says what is there.
func WriteTarget(path string) (string, error) {
	p := path
	for hops := 0; ; hops++ {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return p, nil
		}
		if err != nil {
			return "", err
		}
		mode := fi.Mode()
		switch {
		case mode.IsRegular():
			return p, nil
		case mode&fs.ModeSymlink != 0:
			if hops >= 40 {
				return "", fmt.Errorf("%s: %w: too many levels of symbolic links", path, ErrNotRegular)
			}
			link, err := os.Readlink(p)
			if err != nil {
				return "", err
			}
			if !filepath.IsAbs(link) {
				link = filepath.Join(filepath.Dir(p), link)
			}
			p = link
		default:
			what := describeMode(mode)
			if p != path {
				what = "symlink to " + p + ", " + what
			}
			return "", fmt.Errorf("%s is a %s, %w; give the path of a file to write", path, what, ErrNotRegular)
		}
	}
}

// describeMode names the kind of a file that is not a regular file.
func describeMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "folder"
	case m&fs.ModeNamedPipe != 0:
		return "FIFO (named pipe)"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	}
	return "special file"
}
