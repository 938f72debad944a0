package eval

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzEvaluator reads makefile text with no side effects: $(shell) answers
// from memory and the working directory is an empty temporary one.
func fuzzEvaluator(t testing.TB, dir string) *Evaluator {
	return New(Config{
		Dir: dir, Program: "make", Stdout: io.Discard, Stderr: io.Discard,
		Hooks: Hooks{Shell: func(e *Evaluator, cmd string) (string, int) { return "out " + cmd, 0 }},
	})
}

func addSeeds(f *testing.F) {
	seeds, _ := filepath.Glob("../../../testdata/fuzz/*.mk")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
}

// FuzzEval reads arbitrary text as a makefile: it may fail with make's
// error, but never panic or hang, and planning-ready state stays usable.
func FuzzEval(f *testing.F) {
	addSeeds(f)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 || bytes.Contains(data, []byte("file ")) {
			return // keep inputs small, and $(file) off the disk
		}
		e := fuzzEvaluator(t, dir)
		err := e.Load([]Input{{Name: "Makefile", Data: data}}, nil, false)
		if err != nil {
			if _, ok := err.(*FatalError); !ok {
				t.Fatalf("error is not a make error: %T %v", err, err)
			}
			return
		}
		e.Snap(false)
	})
}

// TestBadInputFailsCleanly feeds the evaluator inputs that break naive
// makes: each must end with GNU make's error or succeed, not panic or run
// away.
func TestBadInputFailsCleanly(t *testing.T) {
	long := "X = " + strings.Repeat("a", 1<<20) + "\n$(info $(words $(X)))\n"
	garbage := make([]byte, 4096)
	for i := range garbage {
		garbage[i] = byte(i*7919 + i/3)
	}
	cases := []struct {
		name, text, wantErr string
	}{
		{"self reference", "X = $(X)\n$(info $(X))\n", "Recursive variable 'X' references itself (eventually)"},
		{"mutual reference", "A = $(B)\nB = $(A)\n$(info $(A))\n", "Recursive variable 'A' references itself (eventually)"},
		{"unterminated define", "define X\nbody\n", "missing 'endef', unterminated 'define'"},
		{"endless call", "f = $(call f)\n$(info $(call f))\n", "maximum expansion depth exceeded"},
		{"deep nesting", "X := " + strings.Repeat("$(strip ", 5000) + strings.Repeat(")", 5000) + "\n", ""},
		{"megabyte line", long, ""},
		{"garbage", string(garbage), "*"},
		{"unterminated reference", "X := $(foo\n", "unterminated variable reference"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := fuzzEvaluator(t, t.TempDir())
			err := e.Load([]Input{{Name: "Makefile", Data: []byte(c.text)}}, nil, false)
			switch {
			case c.wantErr == "*":
				// Anything but a panic.
			case c.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("error %v, want %q", err, c.wantErr)
			}
		})
	}
}
