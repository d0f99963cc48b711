package cli

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// SignalContext returns a context cancelled on the first SIGINT or
// SIGTERM, a stop function that releases the signal handling, and a
// function that reports the signal received (nil if none).
func SignalContext(parent context.Context) (ctx context.Context, stop func(), received func() os.Signal) {
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	var mu sync.Mutex
	var sig os.Signal
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			mu.Lock()
			sig = s
			mu.Unlock()
			cancel()
		case <-done:
		}
	}()
	stop = func() {
		signal.Stop(ch)
		close(done)
		cancel()
	}
	received = func() os.Signal {
		mu.Lock()
		defer mu.Unlock()
		return sig
	}
	return ctx, stop, received
}

// ExitStatus is the exit status of a command that ended with err after
// receiving sig (nil: none): 128 + the signal's number for an interrupted
// command (130 for SIGINT, 143 for SIGTERM), else ExitCode(err).
func ExitStatus(err error, sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok && err != nil {
		return 128 + int(s)
	}
	return ExitCode(err)
}
