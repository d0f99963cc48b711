package report

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mbrl/mbrl/checkpoints"
	"gopkg.in/yaml.v3"
)

// FileName is the name of the report in its folder.
const FileName = "report.html"

// ErrNotReportable is wrapped by the error for a folder that holds
// neither a run (summary.json or config.yaml) nor a comparison
// (compare.json).
var ErrNotReportable = errors.New("not a run or comparison folder")

// Write renders the report of dir (Render) into dir/report.html,
// atomically, and returns its path.
func Write(dir string) (string, error) {
	b, err := Render(dir)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, FileName)
	if err := checkpoints.WriteFileAtomic(path, b); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	return path, nil
}

// Render returns the HTML report of the run or comparison folder dir.
func Render(dir string) ([]byte, error) {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return nil, fmt.Errorf("report: %s: %w (no such folder; give a run folder, e.g. runs/dagger-pendulum-1-..., or a comparison folder)", dir, ErrNotReportable)
	}
	var page *page
	switch {
	case exists(filepath.Join(dir, "compare.json")):
		page, err = comparePage(dir)
	case exists(filepath.Join(dir, "summary.json")) || exists(filepath.Join(dir, "config.yaml")):
		page, err = runPage(dir)
	default:
		return nil, fmt.Errorf("report: %s: %w (it has no summary.json, config.yaml or compare.json; train or compare into it first)", dir, ErrNotReportable)
	}
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, page); err != nil {
		return nil, fmt.Errorf("report: render %s: %w", dir, err)
	}
	return buf.Bytes(), nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// page is what the template draws.
type page struct {
	Title     string
	Subtitle  string
	Generated string
	// Glance is the box at the top: label -> sentence.
	Glance   []kv
	Command  []string
	Sections []section
}

// kv is one labelled line or table row.
type kv struct {
	Key   string
	Value string
	// Link, when set, makes Value a link.
	Link string
}

// section is one part of the page: any of a paragraph, a key-value
// table, a table, figures and preformatted text.
type section struct {
	ID, Title string
	Text      string
	KVs       []kv
	Table     *table
	Figures   []figure
	Pre       string
}

type table struct {
	Head []string
	Rows [][]cell
	Note string
}

type cell struct {
	Text, Link string
	Num        bool
}

// figure is one plot: inline SVG, or a PNG as a data URI when the plot
// has no SVG twin.
type figure struct {
	Name    string
	SVG     template.HTML
	PNGData template.URL
}

// figures returns every plot of dir: the SVG of each, else the PNG,
// learning_curve first, then by name.
func figures(dir string) ([]figure, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	names := map[string]bool{}
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if !e.IsDir() && (ext == ".svg" || ext == ".png") && !strings.HasPrefix(e.Name(), ".") {
			names[e.Name()] = true
		}
	}
	var out []figure
	for name := range names {
		base, ext := strings.TrimSuffix(name, filepath.Ext(name)), filepath.Ext(name)
		if ext == ".png" && names[base+".svg"] {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		f := figure{Name: name}
		if ext == ".svg" {
			i := bytes.Index(b, []byte("<svg"))
			if i < 0 {
				continue
			}
			f.SVG = template.HTML(b[i:]) // written by gonum/plot in this folder
		} else {
			f.PNGData = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b))
		}
		out = append(out, f)
	}
	rank := func(n string) int {
		switch {
		case strings.HasPrefix(n, "learning_curve"):
			return 0
		case strings.HasPrefix(n, "leaderboard"):
			return 0
		}
		return 1
	}
	slices.SortFunc(out, func(a, b figure) int {
		if ra, rb := rank(a.Name), rank(b.Name); ra != rb {
			return ra - rb
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// readCSV reads a CSV file into a table of at most maxRows rows (the
// first and last halves when longer), numbers right-aligned with 4
// significant digits.
func readCSV(path string, maxRows int) (*table, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("report: %s: %w", path, err)
	}
	if len(recs) == 0 {
		return nil, nil
	}
	t := &table{Head: recs[0]}
	rows := recs[1:]
	if len(rows) > maxRows {
		t.Note = fmt.Sprintf("%d rows; the first and last %d shown (all in %s).", len(rows), maxRows/2, filepath.Base(path))
		rows = append(rows[:maxRows/2:maxRows/2], rows[len(rows)-maxRows/2:]...)
	}
	for _, rec := range rows {
		cells := make([]cell, len(rec))
		for i, s := range rec {
			cells[i] = numCell(s)
		}
		t.Rows = append(t.Rows, cells)
	}
	return t, nil
}

// numCell formats a CSV value: numbers to 4 significant digits.
func numCell(s string) cell {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return cell{Text: s}
	}
	return cell{Text: fmtNum(v), Num: true}
}

// fmtNum formats v with 4 significant digits, integers in full.
func fmtNum(v float64) string {
	if v == float64(int64(v)) && v < 1e15 && v > -1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// fmtValue formats a JSON or YAML value for a table cell.
func fmtValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case float64:
		return fmtNum(x)
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, 0, len(x))
		for i, e := range x {
			if i == 12 {
				parts = append(parts, fmt.Sprintf("... (%d values)", len(x)))
				break
			}
			parts = append(parts, fmtValue(e))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+": "+fmtValue(x[k]))
		}
		return "{" + strings.Join(parts, "; ") + "}"
	}
	return fmt.Sprint(v)
}

// readJSON decodes the JSON file at path into v.
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("report: %s: %w", path, err)
	}
	return nil
}

// readConfig reads a run's config.yaml in file order.
func readConfig(path string) ([]kv, map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var node yaml.Node
	if err := yaml.Unmarshal(b, &node); err != nil {
		return nil, nil, fmt.Errorf("report: %s: %w", path, err)
	}
	if len(node.Content) == 0 || node.Content[0].Kind != yaml.MappingNode {
		return nil, nil, nil
	}
	m := node.Content[0]
	var out []kv
	vals := map[string]any{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		var v any
		if err := m.Content[i+1].Decode(&v); err != nil {
			return nil, nil, fmt.Errorf("report: %s: %w", path, err)
		}
		k := m.Content[i].Value
		vals[k] = v
		out = append(out, kv{Key: k, Value: yamlFlag(v)})
	}
	return out, vals, nil
}

// yamlFlag formats a config value as a command-line flag value.
func yamlFlag(v any) string {
	if xs, ok := v.([]any); ok {
		parts := make([]string, len(xs))
		for i, x := range xs {
			parts[i] = fmt.Sprint(x)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.,/:=+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// duration formats seconds for a person: 42.1 s, 3 min 5 s, 1 h 2 min.
func duration(s float64) string {
	switch {
	case s < 120:
		return fmt.Sprintf("%.1f s", s)
	case s < 3600:
		return fmt.Sprintf("%d min %d s", int(s)/60, int(s)%60)
	}
	return fmt.Sprintf("%d h %d min", int(s)/3600, int(s)%3600/60)
}

// modTime is the modification time of path in UTC ("" if unknown).
func modTime(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return st.ModTime().UTC().Format(time.DateTime + " UTC")
}

func isNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }

func slicesSortKV(s []kv) {
	slices.SortFunc(s, func(a, b kv) int { return strings.Compare(a.Key, b.Key) })
}
