package common

import (
	"encoding/binary"
	"fmt"
	"math"
)

// EncodeFloats returns the float64 bits of v, little-endian: the bit-exact
// form of a slice in a trainer's JSON resume state (base64 there).
func EncodeFloats(v []float64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	return b
}

// DecodeFloats returns the slice EncodeFloats encoded into b.
func DecodeFloats(b []byte) ([]float64, error) {
	if len(b)%8 != 0 {
		return nil, fmt.Errorf("%d bytes is not a whole number of float64 values", len(b))
	}
	v := make([]float64, len(b)/8)
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return v, nil
}
