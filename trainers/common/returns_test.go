package common

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReturnsCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "returns.csv")
	a, b := 0.1, 0.2 // a+b is not 0.3 in float64: the CSV keeps every digit
	r := Summarise([]float64{-1.5, a + b}, []int{200, 200})
	if err := r.WriteReturnsCSV(path); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "episode,return\n0,-1.5\n1,0.30000000000000004\n"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
