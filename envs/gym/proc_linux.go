//go:build linux

package gym

import (
	"os/exec"
	"syscall"
)

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
