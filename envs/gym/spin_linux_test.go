//go:build linux

package gym

import (
	"io"
	"testing"
	"time"
)

// TestSpinReader checks the pipe reader that spins before it blocks:
// data written at once (read while spinning), data written after the
// spin ran out (read blocking), the back-off after two spins in a row
// ran out, the start over after a spin that succeeds, and EOF.
func TestSpinReader(t *testing.T) {
	r, w, err := pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	sr, ok := newReader(r).(*spinReader)
	if !ok {
		t.Fatal("newReader did not return a spinReader on Linux")
	}
	sr.spin = 20 * time.Millisecond
	buf := make([]byte, 8)
	read := func(after time.Duration, msg string) {
		t.Helper()
		if after < 0 { // written before the read
			if _, err := w.Write([]byte(msg)); err != nil {
				t.Fatal(err)
			}
		} else {
			go func() {
				time.Sleep(after)
				if _, err := w.Write([]byte(msg)); err != nil {
					t.Error(err)
				}
			}()
		}
		n, err := sr.Read(buf)
		if err != nil || string(buf[:n]) != msg {
			t.Fatalf("read %q, %v; want %q", buf[:n], err, msg)
		}
	}
	for _, c := range []struct {
		after       time.Duration
		fails, skip int
	}{
		{0, 0, 0},                       // within the spin
		{100 * time.Millisecond, 1, 0},  // the spin ran out once: no back-off yet
		{100 * time.Millisecond, 2, 32}, // twice in a row: 32 reads block at once
		{-1, 2, 32},                     // data already there: no wait, the back-off stays
		{5 * time.Millisecond, 2, 31},   // a wait: it blocks at once
	} {
		read(c.after, "abc")
		if sr.fails != c.fails || sr.skip != c.skip {
			t.Fatalf("after a write %v later: fails %d skip %d, want %d %d", c.after, sr.fails, sr.skip, c.fails, c.skip)
		}
	}
	sr.skip = 0
	read(time.Millisecond, "de") // spins and succeeds: starts over
	if sr.fails != 0 {
		t.Fatalf("fails %d after a spin that succeeded, want 0", sr.fails)
	}
	w.Close()
	if n, err := sr.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("read after the writer closed: %d, %v; want 0, EOF", n, err)
	}
}
