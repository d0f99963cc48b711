package config

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// Memory is an estimate of the memory a configuration allocates, as a sum
// of terms each charged to the setting that drives it, so that a refusal
// can name the setting to lower. Terms are float64 byte counts: products
// of absurd sizes (a hidden layer of 1e11 units) saturate instead of
// overflowing. The estimate counts the large allocations (weights and
// their optimiser copies, activations of a batch, datasets, buffers);
// a few MB of fixed overhead are left out.
type Memory struct {
	// Pkg is the package of the configuration (as in Error).
	Pkg   string
	terms []memTerm
}

type memTerm struct {
	pkg, field string
	bytes      float64
}

// Add charges bytes to the setting field (its Go name, e.g. "Fit.Batch").
func (m *Memory) Add(field string, bytes float64) {
	if bytes > 0 || math.IsNaN(bytes) {
		m.terms = append(m.terms, memTerm{m.Pkg, field, bytes})
	}
}

// Floats charges the bytes of the product of dims float64 values to field.
func (m *Memory) Floats(field string, dims ...float64) {
	n := 8.0
	for _, d := range dims {
		n *= max(d, 0)
	}
	m.Add(field, n)
}

// Factor is one setting's factor of a product of sizes: Field is the
// setting's Go name, N its size.
type Factor struct {
	Field string
	N     float64
}

// Product charges per bytes times the product of the factors' sizes to
// the field of the largest factor (the setting that most likely makes
// the term large), e.g. the activations of a batch of rollouts:
//
//	m.Product(8, config.Factor{"Batch", 64}, config.Factor{"Horizon", 50}, config.Factor{"Hidden", 128})
func (m *Memory) Product(per float64, fs ...Factor) {
	if len(fs) == 0 {
		return
	}
	big, n := fs[0], per
	for _, f := range fs {
		n *= max(f.N, 0)
		if f.N > big.N {
			big = f
		}
	}
	m.Add(big.Field, n)
}

// Merge adds the terms of o to m (each keeps its package).
func (m *Memory) Merge(o Memory) { m.terms = append(m.terms, o.terms...) }

// As returns m with every term charged to a setting of pkg (a nested
// configuration's estimate inside the one that embeds it).
func (m Memory) As(pkg string) Memory {
	out := Memory{Pkg: pkg, terms: make([]memTerm, len(m.terms))}
	for i, t := range m.terms {
		t.pkg = pkg
		out.terms[i] = t
	}
	return out
}

// Bytes returns the estimate in bytes (+Inf for sizes beyond float64).
func (m Memory) Bytes() float64 {
	var s float64
	for _, t := range m.terms {
		s += t.bytes
	}
	return s
}

// Check returns nil if the estimate fits in avail bytes, else an *Error
// charged to the field of the largest term, e.g. "Hidden needs about 40
// TB of memory, more than the 24 GB available; use smaller values".
// avail <= 0 (unknown) accepts everything.
func (m Memory) Check(avail float64) error {
	total := m.Bytes()
	if avail <= 0 || total <= avail {
		return nil
	}
	big := memTerm{bytes: -1}
	for _, t := range m.terms {
		if t.bytes > big.bytes || math.IsNaN(t.bytes) {
			big = t
		}
	}
	return &Error{Pkg: big.pkg, Field: big.field, Msg: fmt.Sprintf(
		"needs about %s of memory (%s in all), more than the %s available; use smaller values",
		FormatBytes(big.bytes), FormatBytes(total), FormatBytes(avail))}
}

// FormatBytes formats b in decimal units: "512 B", "3.2 MB", "40 TB".
func FormatBytes(b float64) string {
	if math.IsNaN(b) || math.IsInf(b, 0) || b >= 1e27 {
		return "more than 1e27 B"
	}
	units := []string{"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"}
	i := 0
	for b >= 1000 && i < len(units)-1 {
		b /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", b)
	}
	return fmt.Sprintf("%.3g %s", b, units[i])
}

// MLPParams is the number of parameters of a fully connected network from
// in inputs through the hidden widths to out outputs (weights and biases).
func MLPParams(in int, hidden []int, out int) float64 {
	var n float64
	prev := float64(in)
	for _, h := range append(append([]int(nil), hidden...), out) {
		n += prev*float64(h) + float64(h)
		prev = float64(h)
	}
	return n
}

// MLPWidths is the sum of the widths of the hidden layers and the output:
// the activations one input row keeps for the backward pass.
func MLPWidths(hidden []int, out int) float64 {
	s := float64(out)
	for _, h := range hidden {
		s += float64(h)
	}
	return s
}

// Network charges to field the memory of training a network of params
// parameters on batches of rows inputs whose activations span widths
// values per row: the weights, their gradient and two Adam moments, the
// graph's copy of them and of the gradient, and forward and backward
// activations of the batch; copies more weights sets (evaluation clones,
// ensemble members).
func (m *Memory) Network(field string, params, widths, rows, copies float64) {
	m.Floats(field, params, 6+max(copies, 0))
	m.Floats(field, rows, widths, 3)
}

// Available returns the memory this process may still allocate, in bytes,
// and where the figure comes from: the Go memory limit (GOMEMLIMIT) if
// set, the cgroup's limit less its usage (containers), and the kernel's
// MemAvailable (/proc/meminfo), whichever is smallest. 0 means unknown
// (off Linux without GOMEMLIMIT): callers then accept any estimate.
func Available() (float64, string) {
	best, src := 0.0, ""
	take := func(v float64, from string) {
		if v > 0 && (best == 0 || v < best) {
			best, src = v, from
		}
	}
	if lim := debug.SetMemoryLimit(-1); lim > 0 && lim < math.MaxInt64 {
		take(float64(lim), "GOMEMLIMIT")
	}
	if v, ok := meminfo("/proc/meminfo", "MemAvailable"); ok {
		take(v, "MemAvailable")
	} else if v, ok := meminfo("/proc/meminfo", "MemTotal"); ok {
		take(v, "MemTotal")
	}
	for _, p := range [][2]string{
		{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"},
		{"/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"},
	} {
		if lim, ok := readNumber(p[0]); ok && lim < 1<<60 {
			used, _ := readNumber(p[1])
			take(lim-used, "cgroup memory limit")
			break
		}
	}
	return best, src
}

// meminfo reads the field key (in kB) of a /proc/meminfo file, in bytes.
func meminfo(path, key string) (float64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != key {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return 0, false
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return 0, false
		}
		return v * 1024, true
	}
	return 0, false
}

// readNumber reads a file holding one number ("max" is no number).
func readNumber(path string) (float64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
	return v, err == nil
}
