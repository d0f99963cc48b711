package common

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/mbrl/mbrl/envs"
)

// ReplayPolicy plays back a fixed action sequence, repeating the last
// action after the end.
type ReplayPolicy struct {
	Actions [][]float64
	t       int
}

// Act writes the next action of the sequence.
func (p *ReplayPolicy) Act(dst, _ []float64) {
	copy(dst, p.Actions[min(p.t, len(p.Actions)-1)])
	p.t++
}

// ReadActions reads one action per line (comma-separated values) from the
// file at path; blank lines and lines starting with '#' are skipped, and a
// first line that is not numeric is taken as a header. Every action is
// validated against space.
func ReadActions(path string, space envs.Space) ([][]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var acts [][]float64
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		vals, err := parseRow(s)
		if err == nil {
			err = space.Validate(vals)
		} else if len(acts) == 0 && line == 1 {
			continue // header
		}
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %v", path, line, err)
		}
		acts = append(acts, vals)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(acts) == 0 {
		return nil, errors.New(path + " holds no actions")
	}
	return acts, nil
}

func parseRow(s string) ([]float64, error) {
	parts := strings.Split(s, ",")
	out := make([]float64, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", strings.TrimSpace(p))
		}
		out[i] = v
	}
	return out, nil
}

// Recorder returns an OnStep function for RolloutConfig that appends a
// copy of every transition to *steps.
func Recorder(steps *[]Transition) func(int, *Transition) {
	return func(_ int, tr *Transition) {
		*steps = append(*steps, Transition{
			Obs: append([]float64(nil), tr.Obs...), Action: append([]float64(nil), tr.Action...),
			Reward: tr.Reward, Terminated: tr.Terminated, Truncated: tr.Truncated,
		})
	}
}

// WriteTrajectoryCSV writes steps as CSV to w: t, obs_i..., action_j...,
// reward, terminated, truncated; obs is the observation the action was
// taken in.
func WriteTrajectoryCSV(w io.Writer, steps []Transition) error {
	cw := csv.NewWriter(w)
	header := []string{"t"}
	if len(steps) > 0 {
		for i := range steps[0].Obs {
			header = append(header, "obs_"+strconv.Itoa(i))
		}
		for j := range steps[0].Action {
			header = append(header, "action_"+strconv.Itoa(j))
		}
	}
	_ = cw.Write(append(header, "reward", "terminated", "truncated"))
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for t, s := range steps {
		rec := []string{strconv.Itoa(t)}
		for _, v := range s.Obs {
			rec = append(rec, f(v))
		}
		for _, v := range s.Action {
			rec = append(rec, f(v))
		}
		_ = cw.Write(append(rec, f(s.Reward), strconv.FormatBool(s.Terminated), strconv.FormatBool(s.Truncated)))
	}
	cw.Flush()
	return cw.Error()
}
