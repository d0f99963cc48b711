package run

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/mbrl/mbrl/checkpoints"
	"github.com/mbrl/mbrl/trainers/common"
	"gopkg.in/yaml.v3"
)

// metricsCSV appends one row per iteration to a CSV file whose header is
// the first row's metric names, widened when a later row brings new ones;
// a row missing a column leaves it empty.
type metricsCSV struct {
	path    string
	columns []string
}

// openMetrics prepares path for appending. When resume is false an existing
// file is replaced; when true its header is kept and rows are appended.
func openMetrics(path string, resume bool) (*metricsCSV, error) {
	m := &metricsCSV{path: path}
	if resume {
		if b, err := os.ReadFile(path); err == nil {
			first, _, _ := strings.Cut(string(b), "\n")
			if first != "" {
				m.columns = strings.Split(first, ",")
			}
		}
	} else if err := AppendFile(path, nil, true); err != nil { // truncate (through a symlink)
		return nil, err
	}
	return m, nil
}

// resumeAt prepares the file for a run resumed at iteration start: rows
// of later iterations (written after the checkpoint resumed from) are
// dropped, since they will be run again, and the wall_s of the last row
// kept is returned (0 if none), where the resumed run's clock continues.
func (m *metricsCSV) resumeAt(start int) (float64, error) {
	b, err := os.ReadFile(m.path)
	if err != nil {
		return 0, nil // no metrics yet
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	it, ws := -1, -1
	for i, c := range strings.Split(lines[0], ",") {
		switch c {
		case "iter":
			it = i
		case "wall_s":
			ws = i
		}
	}
	if it < 0 {
		return 0, nil
	}
	keep := []string{lines[0]}
	wall := 0.0
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		n, err := strconv.ParseFloat(f[min(it, len(f)-1)], 64)
		if err != nil || n > float64(start) {
			continue
		}
		keep = append(keep, l)
		if ws >= 0 && ws < len(f) {
			if w, err := strconv.ParseFloat(f[ws], 64); err == nil {
				wall = w
			}
		}
	}
	if len(keep) < len(lines) {
		if err := checkpoints.WriteFileAtomic(m.path, []byte(strings.Join(keep, "\n")+"\n")); err != nil {
			return 0, err
		}
	}
	return wall, nil
}

// Append writes one row; the first row fixes the header.
func (m *metricsCSV) Append(row []common.Metric) error {
	var buf bytes.Buffer
	if m.columns == nil {
		for _, r := range row {
			m.columns = append(m.columns, r.Name)
		}
		buf.WriteString(strings.Join(m.columns, ",") + "\n")
	} else if err := m.widen(row); err != nil {
		return err
	}
	vals := make(map[string]float64, len(row))
	for _, r := range row {
		vals[r.Name] = r.Value
	}
	for i, c := range m.columns {
		if i > 0 {
			buf.WriteByte(',')
		}
		if v, ok := vals[c]; ok && !math.IsNaN(v) {
			buf.WriteString(FormatFloat(v))
		}
	}
	buf.WriteByte('\n')
	return AppendFile(m.path, buf.Bytes(), false)
}

// widen adds the columns of row that the header lacks (e.g. eval_return,
// which appears only on evaluation iterations) by rewriting the file with the
// wider header; earlier rows leave the new columns empty.
func (m *metricsCSV) widen(row []common.Metric) error {
	have := make(map[string]bool, len(m.columns))
	for _, c := range m.columns {
		have[c] = true
	}
	var added []string
	for _, r := range row {
		if !have[r.Name] {
			added = append(added, r.Name)
		}
	}
	if len(added) == 0 {
		return nil
	}
	old, err := os.ReadFile(m.path)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("run: metrics: %w", err)
	}
	m.columns = append(m.columns, added...)
	pad := strings.Repeat(",", len(added))
	var buf bytes.Buffer
	buf.WriteString(strings.Join(m.columns, ",") + "\n")
	lines := strings.Split(strings.TrimRight(string(old), "\n"), "\n")
	for _, l := range lines[min(1, len(lines)):] {
		if l != "" {
			buf.WriteString(l + pad + "\n")
		}
	}
	return checkpoints.WriteFileAtomic(m.path, buf.Bytes())
}

// FormatFloat formats v for the CSV files of a run (10 significant digits).
func FormatFloat(v float64) string { return strconv.FormatFloat(v, 'g', 10, 64) }

// AppendFile appends data to the file at path, creating it; truncate
// empties it first.
func AppendFile(path string, data []byte, truncate bool) error {
	flags := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if truncate {
		flags = os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	}
	path, err := checkpoints.WriteTarget(path) // never append to a device or FIFO
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	f, err := os.OpenFile(path, flags, checkpoints.FileMode)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	return nil
}

// writeSettings writes the method and the settings, sorted by name, as
// YAML to path, so that a CLI's --config reads them back (and knows the
// method). Values keep their types; strings are quoted.
func writeSettings(path, method string, settings map[string]any) error {
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var node yaml.Node
	node.Kind = yaml.MappingNode
	add := func(k string, v any) error {
		var val yaml.Node
		if err := val.Encode(v); err != nil {
			return fmt.Errorf("run: encode config %s: %w", k, err)
		}
		if _, ok := v.(string); ok {
			val.Style = yaml.DoubleQuotedStyle
		}
		if val.Kind == yaml.SequenceNode {
			val.Style = yaml.FlowStyle
		}
		node.Content = append(node.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, &val)
		return nil
	}
	if err := add("method", method); err != nil {
		return err
	}
	for _, k := range keys {
		if err := add(k, settings[k]); err != nil {
			return err
		}
	}
	b, err := yaml.Marshal(&node)
	if err != nil {
		return fmt.Errorf("run: encode config: %w", err)
	}
	return checkpoints.WriteFileAtomic(path, b)
}
