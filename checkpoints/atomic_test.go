//go:build unix

package checkpoints

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWriteFileAtomicSpecialFiles writes onto everything a user-given path
// can name: regular files are replaced, symlinks written through (also
// chains and dangling ones), and devices, FIFOs, folders and symlink loops
// refused with ErrNotRegular, untouched.
func TestWriteFileAtomicSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	os.WriteFile(p("file"), []byte("old"), 0o600)
	os.Symlink("file", p("link"))
	os.Symlink("link", p("chain"))
	os.Symlink("sub/new", p("dangling"))
	os.Mkdir(p("sub"), 0o755)
	os.Mkdir(p("folder"), 0o755)
	os.Symlink("loop2", p("loop1"))
	os.Symlink("loop1", p("loop2"))
	if err := syscall.Mkfifo(p("fifo"), 0o644); err != nil {
		t.Skipf("no FIFOs: %v", err)
	}
	os.Symlink(p("fifo"), p("tofifo"))
	// A character device of our own, never the system's /dev/null: a
	// regression would replace it.
	hasDev := syscall.Mknod(p("null"), syscall.S_IFCHR|0o666, 1<<8|3) == nil
	cases := []struct {
		path, written string // written: "" when refused
	}{
		{p("file"), p("file")},
		{p("fresh"), p("fresh")},
		{p("link"), p("file")},
		{p("chain"), p("file")},
		{p("dangling"), p("sub/new")},
		{p("null"), ""},
		{p("fifo"), ""},
		{p("tofifo"), ""},
		{p("folder"), ""},
		{p("loop1"), ""},
	}
	for _, c := range cases {
		if c.path == p("null") && !hasDev {
			continue // not root: no device node
		}
		before, _ := os.Lstat(c.path)
		err := WriteFileAtomic(c.path, []byte("new"))
		if c.written == "" {
			if !errors.Is(err, ErrNotRegular) {
				t.Errorf("%s: error %v, want ErrNotRegular", c.path, err)
			}
			if after, _ := os.Lstat(c.path); before != nil && after.Mode() != before.Mode() {
				t.Errorf("%s: mode changed %v -> %v", c.path, before.Mode(), after.Mode())
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.path, err)
			continue
		}
		b, err := os.ReadFile(c.written)
		fi, _ := os.Stat(c.written)
		if err != nil || string(b) != "new" || fi.Mode().Perm() != FileMode {
			t.Errorf("%s: %s holds %q mode %v (%v), want \"new\" 0644", c.path, c.written, b, fi.Mode(), err)
		}
		if before != nil && before.Mode()&os.ModeSymlink != 0 {
			if after, _ := os.Lstat(c.path); after.Mode()&os.ModeSymlink == 0 {
				t.Errorf("%s: the symlink was replaced", c.path)
			}
		}
	}
}
