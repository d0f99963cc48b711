// Package gymtest finds a Python that runs the Gymnasium bridge, for
// tests: with numpy and gymnasium importable, from the Gymnasium source in
// ../shared/third_party/gymnasium (beside the repository) or the user's
// installed gymnasium. Tests that need it skip, with the reason and how
// to install what is missing, when there is none.
package gymtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Python finds a Python that imports numpy and gymnasium, with the
// Gymnasium source of ../shared/third_party/gymnasium (relative to the
// repository; MBRL_GYMNASIUM overrides) on PYTHONPATH when it exists, so
// that a user's installed gymnasium works too. MBRL_PYTHON names the
// interpreter to try first; then python3 on PATH and /usr/bin/python3.
// Tests that need the bridge skip with the reason when none works.
func Python(t testing.TB) string {
	t.Helper()
	setup.once.Do(findPython)
	if setup.python == "" {
		t.Skip(setup.why)
	}
	if setup.pythonPath != "" {
		t.Setenv("PYTHONPATH", setup.pythonPath)
	}
	return setup.python
}

var setup struct {
	once                    sync.Once
	python, pythonPath, why string
}

func findPython() {
	src := os.Getenv("MBRL_GYMNASIUM")
	if src == "" {
		if root, err := moduleRoot(); err == nil {
			src = filepath.Join(root, "..", "shared", "third_party", "gymnasium")
		}
	}
	var path string
	if st, err := os.Stat(filepath.Join(src, "gymnasium", "__init__.py")); err == nil && !st.IsDir() {
		path = src
		if old := os.Getenv("PYTHONPATH"); old != "" {
			path += string(os.PathListSeparator) + old
		}
	}
	var tried []string
	for _, py := range []string{os.Getenv("MBRL_PYTHON"), "python3", "/usr/bin/python3"} {
		if py == "" {
			continue
		}
		cmd := exec.Command(py, "-c", "import numpy, gymnasium")
		cmd.Env = os.Environ()
		if path != "" {
			cmd.Env = append(cmd.Env, "PYTHONPATH="+path)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			tried = append(tried, py+": "+lines[len(lines)-1])
			continue
		}
		setup.python, setup.pythonPath = py, path
		return
	}
	setup.why = "no Python with numpy and gymnasium (" + strings.Join(tried, "; ") +
		"); install python3-numpy python3-cloudpickle python3-typing-extensions (apt) and keep ../shared/third_party/gymnasium, or pip install gymnasium"
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
