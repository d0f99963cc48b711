package checkpoints

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes data to path the way Save writes a checkpoint: to
// a temporary file in the same folder (created if missing), synced, then
// renamed over path, so a crash never leaves a half-written file.
func WriteFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("checkpoints: write %s: %w", path, err)
	}
	if err := writeAtomic(path, nil, data); err != nil {
		return fmt.Errorf("checkpoints: write %s: %w", path, err)
	}
	return nil
}
