//go:build !unix

package run

import "errors"

// ErrLocked is wrapped by Open's error for a run folder another process
// is writing (never on systems without flock).
var ErrLocked = errors.New("run folder is in use")

// lockDir does nothing where flock is missing.
func lockDir(string) (func() error, error) { return func() error { return nil }, nil }
