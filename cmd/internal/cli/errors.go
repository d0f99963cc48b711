package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/config"
	"github.com/mbrl/mbrl/trainers/run"
)

// Exit statuses of a command.
const (
	ExitOK    = 0
	ExitOther = 1
	ExitUsage = 2
)

// UsageError marks an error the user caused by a bad command line or bad
// input (unknown env, malformed file, ...).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a usage error with a formatted one-line message.
func Usagef(format string, args ...any) error {
	return &UsageError{fmt.Errorf(format, args...)}
}

// AsUsage marks err (if not nil) as caused by user input.
func AsUsage(err error) error {
	if err == nil || IsUsage(err) {
		return err
	}
	return &UsageError{err}
}

// IsUsage reports whether err was caused by user input: a UsageError, a
// library's *config.Error, a run's *run.InputError or an output path
// that names no regular file (checkpoints.ErrNotRegular).
func IsUsage(err error) bool {
	var u *UsageError
	var c *config.Error
	var in *run.InputError
	return errors.As(err, &u) || errors.As(err, &c) || errors.As(err, &in) || errors.Is(err, checkpoints.ErrNotRegular)
}

// ExitCode maps an error to the process exit status: 0 for nil,
// ExitUsage for user input, ExitOther otherwise.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case IsUsage(err):
		return ExitUsage
	}
	return ExitOther
}

// OneLine joins the lines of err's message with "; ".
func OneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
