//go:build linux

package gym

import (
	"os"
	"os/exec"
	"syscall"
)

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
