package envs

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// TestWriteInfoTable checks the table has a header and one row per env
// that starts with its name and ends with its limit and known dynamics.
func TestWriteInfoTable(t *testing.T) {
	infos, err := Infos()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteInfoTable(&b, infos); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != len(infos)+1 || !strings.HasPrefix(lines[0], "NAME") {
		t.Fatalf("table:\n%s\nwant a header and %d rows", b.String(), len(infos))
	}
	for i, in := range infos {
		f := strings.Fields(lines[i+1])
		limit := "none"
		if in.MaxSteps > 0 {
			limit = strconv.Itoa(in.MaxSteps)
		}
		if f[0] != in.Name || f[len(f)-2] != limit || f[len(f)-1] != strconv.FormatBool(in.Known) {
			t.Errorf("row %q: want name %s, limit %s, known %v", lines[i+1], in.Name, limit, in.Known)
		}
	}
}
