package main

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gopkg.in/yaml.v3"
)

// writeEffectiveConfig writes every flag's value (given, from --config, or
// default) to DIR/config.yaml, so "mbrl train METHOD --config DIR/config.yaml"
// reruns the same configuration.
func writeEffectiveConfig(dir string, fs *flag.FlagSet, skip ...string) error {
	m := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) {
		for _, s := range skip {
			if f.Name == s {
				return
			}
		}
		m[f.Name] = f.Value.String()
	})
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var node yaml.Node
	node.Kind = yaml.MappingNode
	for _, k := range keys {
		node.Content = append(node.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Value: k},
			&yaml.Node{Kind: yaml.ScalarNode, Value: m[k], Style: yaml.DoubleQuotedStyle})
	}
	b, err := yaml.Marshal(&node)
	if err != nil {
		return fmt.Errorf("mbrl: encode config: %w", err)
	}
	return writeFileAtomic(filepath.Join(dir, "config.yaml"), b)
}

// metricsCSV appends one row per iteration to a CSV file with a fixed set of
// columns (the first row's); later rows missing a column leave it empty.
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
	} else if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("mbrl: %w", err)
	}
	return m, nil
}

// metric is one named value of a metrics row.
type metric struct {
	Name  string
	Value float64
}

// Append writes one row; the first row fixes the header.
func (m *metricsCSV) Append(row []metric) error {
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
			buf.WriteString(strconv.FormatFloat(v, 'g', 10, 64))
		}
	}
	buf.WriteByte('\n')
	f, err := os.OpenFile(m.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("mbrl: metrics: %w", err)
	}
	_, err = f.Write(buf.Bytes())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("mbrl: metrics: %w", err)
	}
	return nil
}

// widen adds the columns of row that the header lacks (e.g. eval_return,
// which appears only on evaluation iterations) by rewriting the file with the
// wider header; earlier rows leave the new columns empty.
func (m *metricsCSV) widen(row []metric) error {
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
		return fmt.Errorf("mbrl: metrics: %w", err)
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
	return writeFileAtomic(m.path, buf.Bytes())
}

// series is one named curve of a plot. NaN y values are skipped.
type series struct {
	Name string
	X, Y []float64
}

// plotOptions configure savePlot.
type plotOptions struct {
	Title, XLabel, YLabel string
	LogX, LogY            bool
}

// savePlot draws the series as lines (with points) into a PNG at path,
// written atomically.
func savePlot(path string, opt plotOptions, ss ...series) error {
	p := plot.New()
	p.Title.Text = opt.Title
	p.X.Label.Text = opt.XLabel
	p.Y.Label.Text = opt.YLabel
	p.Add(plotter.NewGrid())
	if opt.LogX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if opt.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	drawn := 0
	for i, s := range ss {
		var pts plotter.XYs
		for j := range s.X {
			y := s.Y[j]
			if math.IsNaN(y) || math.IsInf(y, 0) || (opt.LogY && y <= 0) || (opt.LogX && s.X[j] <= 0) {
				continue
			}
			pts = append(pts, plotter.XY{X: s.X[j], Y: y})
		}
		if len(pts) == 0 {
			continue
		}
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return fmt.Errorf("mbrl: plot: %w", err)
		}
		l.Color = plotutil.Color(i)
		sc.Color = plotutil.Color(i)
		sc.Radius = vg.Points(1.5)
		p.Add(l, sc)
		if s.Name != "" {
			p.Legend.Add(s.Name, l)
		}
		drawn++
	}
	if drawn == 0 {
		return nil
	}
	p.Legend.Top = true
	w, err := p.WriterTo(7*vg.Inch, 4.5*vg.Inch, "png")
	if err != nil {
		return fmt.Errorf("mbrl: plot: %w", err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return fmt.Errorf("mbrl: plot: %w", err)
	}
	return writeFileAtomic(path, buf.Bytes())
}

func mkdirAll(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("mbrl: create run folder: %w", err)
	}
	return nil
}
