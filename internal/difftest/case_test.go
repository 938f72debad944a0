package difftest

import (
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseDirectives(t *testing.T) {
	data := "# a note\n\nargs: -s 'A=1 2' B=\"x\\\"y\"\nargs: all\nenv: E=a b\nmtime: f -5s\n" +
		"skip: not yet\ntimeout: 3s\n-- f --\nx\n-- g --\ny"
	c, err := Parse("grp/n", []byte(data))
	if err == nil && c.Note != "a note\n" {
		t.Errorf("Note = %q", c.Note)
	}
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"-s", "A=1 2", `B=x"y`, "all"}; !reflect.DeepEqual(c.Args, want) {
		t.Errorf("Args = %q, want %q", c.Args, want)
	}
	if want := []string{"E=a b"}; !reflect.DeepEqual(c.Env, want) {
		t.Errorf("Env = %q, want %q", c.Env, want)
	}
	if c.Skip != "not yet" || c.Timeout != 3*time.Second {
		t.Errorf("Skip %q Timeout %v", c.Skip, c.Timeout)
	}
	if want := []MTime{{"f", -5 * time.Second}}; !reflect.DeepEqual(c.MTimes, want) {
		t.Errorf("MTimes = %v, want %v", c.MTimes, want)
	}
	if len(c.Files) != 2 || string(c.Files[0].Data) != "x\n" || string(c.Files[1].Data) != "y\n" {
		t.Errorf("Files = %q", c.Files)
	}
}

func TestParseErrors(t *testing.T) {
	tests := map[string]string{
		"argz: x\n":                          "unknown directive",
		"just words\n":                       "not a directive",
		"env: novalue\n":                     "NAME=value",
		"args: 'open\n":                      "unterminated single quote",
		"chmod: missing 755\n":               "no file",
		"skip:\n":                            "reason",
		"no-final-newline: f\n-- f --\n":     "does not end in a newline",
		"symlink: a b\n":                     "link -> target",
		"stdin: none\n":                      "no file",
		"-- ../escape --\nx\n":               "inside the case directory",
		"mtime: f soon\n-- f --\n":           "invalid duration",
		"gen: f many x\n":                    "bad count",
		"args: \"open\n":                     "unterminated double quote",
		"symlink: /abs -> x\n":               "relative",
		"timeout: forever\n":                 "invalid duration",
		"chmod: f 9\n-- f --\n":              "invalid syntax",
		"mtime: f\n":                         "file ±duration",
		"gen: f 1\n":                         "file count text",
		"no-final-newline: nothere\n-- f --": "no file",
	}
	for data, want := range tests {
		_, err := Parse("g/n", []byte(data))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) error = %v, want it to mention %q", data, err, want)
		}
	}
}

func TestParseArchiveFinalNewline(t *testing.T) {
	comment, files := parseArchive([]byte("c\n-- a --\n-- b --\nno newline"))
	if string(comment) != "c\n" {
		t.Errorf("comment %q", comment)
	}
	if len(files) != 2 || len(files[0].Data) != 0 || string(files[1].Data) != "no newline\n" {
		t.Errorf("files %q", files)
	}
	c, err := Parse("g/n", []byte("no-final-newline: a\ngen: a 2 xy\n-- a --\nA = \n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(c.Files[0].Data); got != "A = xyxy" {
		t.Errorf("gen then no-final-newline gave %q", got)
	}
}

func TestSplitWords(t *testing.T) {
	tests := map[string][]string{
		"":                   nil,
		"  a  b\t c ":        {"a", "b", "c"},
		`'a b'"c d"e`:        {"a bc de"},
		`a\ b \'`:            {"a b", "'"},
		`"\$x \n"`:           {`$x \n`},
		`-f - --eval='x:=1'`: {"-f", "-", "--eval=x:=1"},
		`''`:                 {""},
	}
	for in, want := range tests {
		got, err := splitWords(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("splitWords(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestParseSignal(t *testing.T) {
	c, err := Parse("grp/n", []byte("# n\nsignal: INT started\nsignal: SIGTERM sub/x make\n-- f --\nx\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Signal{{syscall.SIGINT, "started", false}, {syscall.SIGTERM, "sub/x", true}}
	if !reflect.DeepEqual(c.Signals, want) {
		t.Errorf("Signals = %v, want %v", c.Signals, want)
	}
	for _, bad := range []string{"signal: INT\n", "signal: FOO x\n", "signal: INT x other\n", "signal: INT ../x\n"} {
		if _, err := Parse("grp/n", []byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
