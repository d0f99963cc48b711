package checkpoints

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
)

// TensorInfo names a tensor of a checkpoint with its shape and size.
type TensorInfo struct {
	Name  string `json:"name"`
	Dtype string `json:"dtype"`
	Shape []int  `json:"shape"`
	Size  int    `json:"size"`
}

// TensorInfos lists c's tensors sorted by name and returns the total
// number of values (parameters and stored state).
func (c *Checkpoint) TensorInfos() ([]TensorInfo, int) {
	rows := make([]TensorInfo, 0, len(c.Tensors))
	total := 0
	for _, t := range c.Tensors {
		rows = append(rows, TensorInfo{t.Name, dtypeF64, t.Shape, len(t.Data)})
		total += len(t.Data)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	return rows, total
}

// Describe writes a readable summary of c (read from path) to w: its
// metadata, models, normalisers, whether it can be resumed, and a table of
// its tensors.
func (c *Checkpoint) Describe(w io.Writer, path string) error {
	m := c.Meta
	fmt.Fprintf(w, "checkpoint  %s\nformat      %d\nmethod      %s\nenv         %s\nseed        %d\niteration   %d\n",
		path, m.FormatVersion, m.Method, m.Env, m.Seed, m.Iteration)
	if len(m.ObsSpace) > 0 {
		fmt.Fprintf(w, "obs space   %s\naction sp.  %s\n", m.ObsSpace, m.ActionSpace)
	}
	for _, ms := range m.Models {
		arch, _ := json.Marshal(ms.Arch)
		fmt.Fprintf(w, "model       %s (%s) %s\n", ms.Name, ms.Kind, arch)
	}
	for name, n := range m.Normalisers {
		fmt.Fprintf(w, "normaliser  %s (dim %d)\n", name, len(n.Mean))
	}
	stateValues := 0
	for _, s := range c.StateTensors {
		stateValues += s.Size
	}
	switch {
	case len(m.Optimizer) > 0:
		fmt.Fprintf(w, "resumable   yes (%d state tensors, %d values)\n", len(c.StateTensors), stateValues)
	case m.FormatVersion < FormatVersion:
		fmt.Fprintf(w, "resumable   no (format %d from an older mbrl: weights only)\n", m.FormatVersion)
	}
	fmt.Fprintln(w)
	rows, total := c.TensorInfos()
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TENSOR\tDTYPE\tSHAPE\tSIZE")
	for _, r := range append(rows, c.StateTensors...) {
		fmt.Fprintf(tw, "%s\t%s\t%v\t%d\n", r.Name, r.Dtype, r.Shape, r.Size)
	}
	fmt.Fprintf(tw, "total\t\t\t%d parameters\n", total)
	return tw.Flush()
}
