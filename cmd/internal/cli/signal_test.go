//go:build unix

package cli

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"
)

// TestSignalContextAndExitStatus sends the process SIGINT and SIGTERM and
// checks that the context is cancelled, the signal reported, and the exit
// status 130 or 143.
func TestSignalContextAndExitStatus(t *testing.T) {
	cases := []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}}
	for _, c := range cases {
		ctx, stop, received := SignalContext(context.Background())
		if err := syscall.Kill(syscall.Getpid(), c.sig); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("%v: context not cancelled", c.sig)
		}
		if got := ExitStatus(errors.New("training interrupted"), received()); got != c.want {
			t.Errorf("%v: exit %d, want %d", c.sig, got, c.want)
		}
		stop()
	}
	if got := ExitStatus(nil, nil); got != ExitOK {
		t.Errorf("no signal, no error: exit %d", got)
	}
	if got := ExitStatus(Usagef("bad"), nil); got != ExitUsage {
		t.Errorf("no signal, usage error: exit %d", got)
	}
}
