//go:build !linux

package gym

import (
	"io"
	"os"
	"os/exec"
)

// newReader returns f: outside Linux the pipe's reads go through Go's
// poller.
func newReader(f *os.File) io.Reader { return f }

// pipe makes a pipe (through Go's poller where there is one).
func pipe() (r, w *os.File, err error) { return os.Pipe() }

// detach does nothing outside Linux: the bridge ends when its stdin
// closes (mbrl's end) or when Close kills it.
func detach(cmd *exec.Cmd) {}

// kill ends the bridge process.
func kill(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
