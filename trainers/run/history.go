package run

import "github.com/mbrl/mbrl/trainers/common"

// History is the metrics rows of a run's iterations, oldest first, each a
// map from metric name to value.
type History []map[string]float64

func (h *History) add(row []common.Metric) {
	m := make(map[string]float64, len(row))
	for _, r := range row {
		m[r.Name] = r.Value
	}
	*h = append(*h, m)
}

// First returns the first row (nil if there is none).
func (h History) First() map[string]float64 {
	if len(h) == 0 {
		return nil
	}
	return h[0]
}

// Last returns the last row (nil if there is none).
func (h History) Last() map[string]float64 {
	if len(h) == 0 {
		return nil
	}
	return h[len(h)-1]
}

// Latest returns the most recent value of the named metric and whether any
// row holds it.
func (h History) Latest(name string) (float64, bool) {
	for i := len(h) - 1; i >= 0; i-- {
		if v, ok := h[i][name]; ok {
			return v, true
		}
	}
	return 0, false
}

// Mean returns the mean of the named metric over the rows that hold it,
// summed oldest first, and the number of those rows.
func (h History) Mean(name string) (float64, int) {
	var sum float64
	n := 0
	for _, row := range h {
		if v, ok := row[name]; ok {
			sum += v
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return sum / float64(n), n
}

// Column returns the named metric of every row (0 where a row lacks it).
func (h History) Column(name string) []float64 {
	out := make([]float64, len(h))
	for i, row := range h {
		out[i] = row[name]
	}
	return out
}
