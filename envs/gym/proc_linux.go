//go:build linux

package gym

import (
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// spinFor is how long a read of the bridge's answer spins before it
// sleeps in the kernel (see spinReader).
const spinFor = 100 * time.Microsecond

// spinReader reads a pipe through a non-blocking descriptor: a read with
// nothing to read yet retries, yielding the CPU to anything runnable, for
// up to spin before it sleeps in the kernel. A step of a classic-control
// env takes about 20 us, and waking a sleeping reader through an idle CPU
// costs tens of microseconds on a virtual machine (a bare round trip
// measured 26 us on average on an idle 2-core VM against 6.3 us at best),
// so a short spin answers most frames without that wake-up; on a busy
// machine the yield hands the CPU to the bridge instead. The descriptor
// stays owned by the *os.File it came from (which closes it).
//
// When spins run out twice in a row (the bridge is slower than the
// spin, or both processes share a busy CPU, where spinning only delays
// the bridge) the next reads block at once: 32 of them, doubling with
// every further spin that runs out up to 4096; a spin that succeeds
// starts over.
type spinReader struct {
	fd    int
	spin  time.Duration
	fails int // spins in a row that ran out
	skip  int // reads left that block without spinning
}

// newReader returns a reader of f's pipe that spins before it blocks,
// or f itself if its descriptor cannot be made non-blocking.
func newReader(f *os.File) io.Reader {
	fd := int(f.Fd()) // Fd leaves the descriptor blocking: set it after
	if err := syscall.SetNonblock(fd, true); err != nil {
		return f
	}
	return &spinReader{fd: fd, spin: spinFor}
}

// Read reads at least one byte, spinning and then blocking for it, or
// returns io.EOF once the bridge's end is closed.
func (r *spinReader) Read(b []byte) (int, error) {
	var start time.Time
	for {
		n, err := syscall.Read(r.fd, b)
		switch {
		case err == nil && n > 0:
			if !start.IsZero() {
				r.fails = 0
			}
			return n, nil
		case err == nil:
			return 0, io.EOF
		case err == syscall.EINTR:
			continue
		case err != syscall.EAGAIN:
			return 0, &os.PathError{Op: "read", Path: "|0", Err: err}
		}
		if r.skip > 0 {
			r.skip--
			return r.block(b)
		}
		if start.IsZero() {
			start = time.Now()
		} else if time.Since(start) > r.spin {
			if r.fails++; r.fails >= 2 {
				r.skip = 32 << min(r.fails-2, 7)
			}
			return r.block(b)
		}
		syscall.Syscall(syscall.SYS_SCHED_YIELD, 0, 0, 0)
	}
}

// block reads with the descriptor in blocking mode, sleeping in the
// kernel until the bridge writes or closes its end.
func (r *spinReader) block(b []byte) (int, error) {
	if err := syscall.SetNonblock(r.fd, false); err != nil {
		return 0, &os.PathError{Op: "fcntl", Path: "|0", Err: err}
	}
	defer syscall.SetNonblock(r.fd, true)
	for {
		n, err := syscall.Read(r.fd, b)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, &os.PathError{Op: "read", Path: "|0", Err: err}
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// pipe makes a pipe in blocking mode (close-on-exec, so that no other
// child inherits it): os.NewFile keeps a blocking descriptor out of Go's
// poller, and a read sleeps in the kernel until the bridge writes, which
// saves the poller's wake-up through another thread on every frame.
func pipe() (r, w *os.File, err error) {
	var fd [2]int
	if err := syscall.Pipe2(fd[:], syscall.O_CLOEXEC); err != nil {
		return nil, nil, err
	}
	return os.NewFile(uintptr(fd[0]), "|0"), os.NewFile(uintptr(fd[1]), "|1"), nil
}

// detach puts the bridge in its own process group (a Ctrl-C at the
// terminal reaches mbrl only, which then closes the bridge) and has the
// kernel kill it when mbrl dies, however mbrl dies.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// kill ends the bridge's process group (the bridge and anything it started).
func kill(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Process.Kill()
}
