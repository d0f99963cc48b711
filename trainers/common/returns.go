package common

import (
	"encoding/csv"
	"strconv"
	"strings"

	"github.com/mbrl/mbrl/checkpoints"
)

// WriteReturnsCSV writes one row per episode of r to path, atomically:
// episode, return (the exact decimal of the float64).
func (r EvalResult) WriteReturnsCSV(path string) error {
	var sb strings.Builder
	w := csv.NewWriter(&sb)
	_ = w.Write([]string{"episode", "return"})
	for i, ret := range r.Returns {
		_ = w.Write([]string{strconv.Itoa(i), strconv.FormatFloat(ret, 'g', -1, 64)})
	}
	w.Flush()
	return checkpoints.WriteFileAtomic(path, []byte(sb.String()))
}
