//go:build unix

package run

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/mbrl/mbrl/checkpoints"
)

// ErrLocked is wrapped by Open's error for a run folder another process
// (or another Open) is writing.
var ErrLocked = errors.New("run folder is in use")

// lockDir takes an exclusive flock on dir/.lock without waiting and
// returns its release.
func lockDir(dir string) (func() error, error) {
	path, err := checkpoints.WriteTarget(filepath.Join(dir, ".lock"))
	if err != nil {
		return nil, fmt.Errorf("run: lock %s: %w", dir, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, checkpoints.FileMode)
	if err != nil {
		return nil, fmt.Errorf("run: lock %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("run: %w: %s is being written by another process", ErrLocked, dir)
		}
		return nil, fmt.Errorf("run: lock %s: %w", dir, err)
	}
	return func() error {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return errors.Join(err, f.Close())
	}, nil
}
