package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// testProgram has one plain command and one method, each recording the
// flag value it ran with.
func testProgram(out, errb *bytes.Buffer, ran *string) *Program {
	plain := Command{Name: "hello", Usage: "hello [--name N]", Summary: "say hello",
		Bind: func(b *Binder) func(context.Context, []string) error {
			name := b.FS.String("name", "world", "who to greet")
			return func(context.Context, []string) error { *ran = "hello " + *name; return nil }
		}}
	method := Command{Name: "fit", Summary: "fit a thing",
		Bind: func(b *Binder) func(context.Context, []string) error {
			return func(context.Context, []string) error {
				*ran = b.Method + " seed " + b.FS.Lookup("seed").Value.String()
				return nil
			}
		}}
	return &Program{Name: "prog", Title: "prog: a test", Group: "train", Footer: "bye",
		Commands: []Command{plain, {Name: "train", Usage: "train METHOD", Summary: "train"}},
		Methods:  []Command{method}, Stdout: out, Stderr: errb}
}

func TestProgramRun(t *testing.T) {
	cases := []struct {
		args      []string
		ran, out  string // what ran, a substring of stdout
		exit      int
		errSubstr string
	}{
		{[]string{"hello", "--name", "go"}, "hello go", "", 0, ""},
		{[]string{"train", "fit", "--seed", "7"}, "fit seed 7", "", 0, ""},
		{[]string{"fit", "--seed", "3"}, "fit seed 3", "", 0, ""},
		{[]string{"help"}, "", "prog hello [--name N]", 0, ""},
		{[]string{"help", "train"}, "", "fit      fit a thing", 0, ""},
		{[]string{"help", "hello"}, "", "--name", 0, ""},
		{[]string{"help", "fit"}, "", "--resume", 0, ""},
		{nil, "", "", ExitUsage, "no command given"},
		{[]string{"nope"}, "", "", ExitUsage, `unknown command "nope" (valid: hello, train, help)`},
		{[]string{"train"}, "", "", ExitUsage, "give a method first (valid: fit)"},
		{[]string{"train", "nope"}, "", "", ExitUsage, `unknown method "nope"`},
		{[]string{"hello", "--bad"}, "", "", ExitUsage, "see 'prog help hello'"},
		{[]string{"hello", "extra"}, "", "", ExitUsage, `prog hello: unexpected argument "extra"`},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		var ran string
		err := testProgram(&out, &errb, &ran).Run(context.Background(), c.args)
		if ExitCode(err) != c.exit || ran != c.ran || !strings.Contains(out.String(), c.out) {
			t.Errorf("%v: exit %d (%v), ran %q, stdout %q; want exit %d, ran %q, stdout containing %q", c.args, ExitCode(err), err, ran, out.String(), c.exit, c.ran, c.out)
		}
		if c.errSubstr != "" && (err == nil || !strings.Contains(err.Error(), c.errSubstr)) {
			t.Errorf("%v: error %v, want one containing %q", c.args, err, c.errSubstr)
		}
	}
}

func TestIOWriteJSON(t *testing.T) {
	var out bytes.Buffer
	o := &IO{Stdout: &out}
	if err := o.WriteJSON(false, map[string]int{"a": 1}); err != nil || out.Len() != 0 {
		t.Fatalf("disabled: wrote %q, %v", out.String(), err)
	}
	if err := o.WriteJSON(true, map[string]int{"a": 1}); err != nil || out.String() != "{\"a\":1}\n" {
		t.Fatalf("enabled: wrote %q, %v", out.String(), err)
	}
}

type item string

func (i item) String() string { return string(i) }

func TestItemProgressLines(t *testing.T) {
	var w bytes.Buffer
	bar, report := ItemProgress(&w, 2, "test", false, false)
	report(item("a done"))
	report(item("b done"))
	bar.Finish()
	if want := "[1/2] a done\n[2/2] b done\n"; w.String() != want {
		t.Errorf("got %q, want %q", w.String(), want)
	}
	w.Reset()
	_, report = ItemProgress(&w, 2, "test", true, true)
	report(item("quiet"))
	if w.Len() != 0 {
		t.Errorf("quiet wrote %q", w.String())
	}
}
