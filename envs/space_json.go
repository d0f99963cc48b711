package envs

import (
	"encoding/json"
	"fmt"
	"math"
)

// spaceJSON is the wire form of Space: infinite bounds, which JSON numbers
// cannot hold, are written as the strings "inf" and "-inf".
type spaceJSON struct {
	Discrete bool  `json:"discrete"`
	N        int   `json:"n,omitempty"`
	Low      []any `json:"low,omitempty"`
	High     []any `json:"high,omitempty"`
}

func boundsToJSON(v []float64) []any {
	if v == nil {
		return nil
	}
	out := make([]any, len(v))
	for i, x := range v {
		switch {
		case math.IsInf(x, 1):
			out[i] = "inf"
		case math.IsInf(x, -1):
			out[i] = "-inf"
		default:
			out[i] = x
		}
	}
	return out
}

func boundsFromJSON(v []any) ([]float64, error) {
	if v == nil {
		return nil, nil
	}
	out := make([]float64, len(v))
	for i, x := range v {
		switch y := x.(type) {
		case float64:
			out[i] = y
		case string:
			switch y {
			case "inf", "+inf":
				out[i] = math.Inf(1)
			case "-inf":
				out[i] = math.Inf(-1)
			default:
				return nil, fmt.Errorf("envs: space bound %q is not a number", y)
			}
		default:
			return nil, fmt.Errorf("envs: space bound %v is not a number", x)
		}
	}
	return out, nil
}

// MarshalJSON encodes the space, writing infinite bounds as "inf"/"-inf".
func (s Space) MarshalJSON() ([]byte, error) {
	return json.Marshal(spaceJSON{Discrete: s.Discrete, N: s.N, Low: boundsToJSON(s.Low), High: boundsToJSON(s.High)})
}

// UnmarshalJSON decodes what MarshalJSON wrote.
func (s *Space) UnmarshalJSON(b []byte) error {
	var w spaceJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	low, err := boundsFromJSON(w.Low)
	if err != nil {
		return err
	}
	high, err := boundsFromJSON(w.High)
	if err != nil {
		return err
	}
	*s = Space{Discrete: w.Discrete, N: w.N, Low: low, High: high}
	return nil
}
