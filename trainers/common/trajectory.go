package common

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"

	"github.com/mbrl/mbrl/checkpoints"
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

// RolloutCap is the step cap of RecordEpisode on an env without a step
// limit.
const RolloutCap = 10000

// RecordEpisode runs one episode of pol in env from init (nil: a reset
// drawn from rng) and returns it with its transitions. maxSteps > 0 stops
// it early; a ReplayPolicy stops after its last action, and an env
// without a step limit stops after RolloutCap steps.
func RecordEpisode(env envs.Env, pol Policy, rng *rand.Rand, init []float64, maxSteps int) (Episode, []Transition, error) {
	if rp, ok := pol.(*ReplayPolicy); ok && (maxSteps == 0 || maxSteps > len(rp.Actions)) {
		maxSteps = len(rp.Actions)
	}
	if maxSteps == 0 && env.MaxSteps() == 0 {
		maxSteps = RolloutCap
	}
	var steps []Transition
	ep, err := Rollout(env, pol, rng, RolloutConfig{Init: init, MaxSteps: maxSteps, OnStep: Recorder(&steps)})
	return ep, steps, err
}

// WriteTrajectoryFile writes steps as CSV (WriteTrajectoryCSV) to path,
// atomically; path "-" writes them to stdout, "" nowhere.
func WriteTrajectoryFile(path string, stdout io.Writer, steps []Transition) error {
	var sb strings.Builder
	if err := WriteTrajectoryCSV(&sb, steps); err != nil || path == "" {
		return err
	}
	if path == "-" {
		_, err := io.WriteString(stdout, sb.String())
		return err
	}
	return checkpoints.WriteFileAtomic(path, []byte(sb.String()))
}
