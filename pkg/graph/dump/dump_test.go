package dump

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/dmake/dmake/pkg/graph/eval"
	"github.com/dmake/dmake/pkg/graph/syntax"
)

func load(t *testing.T, makefile string) *eval.Evaluator {
	t.Helper()
	ev := eval.New(eval.Config{Dir: t.TempDir(), Program: "make", Stdout: io.Discard, Stderr: io.Discard})
	if err := ev.Load([]eval.Input{{Name: "Makefile", Data: []byte(makefile)}}, nil, true); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestDefinitionAndOrigin(t *testing.T) {
	pos := syntax.Pos{File: "Makefile", Line: 3}
	tests := []struct {
		v            eval.Var
		def, comment string
	}{
		{eval.Var{Name: "X", Value: "$(Y)", Flavor: eval.Recursive, Origin: eval.OriginFile, Pos: pos}, "X = $(Y)", "makefile (from 'Makefile', line 3)"},
		{eval.Var{Name: "S", Value: "v", Flavor: eval.Simple, Origin: eval.OriginCommand}, "S := v", "command line"},
		{eval.Var{Name: "D", Value: "a\nb", Flavor: eval.Recursive, Origin: eval.OriginOverride, Pos: pos}, "define D\na\nb\nendef", "'override' directive (from 'Makefile', line 3)"},
		{eval.Var{Name: "E", Value: "", Flavor: eval.Recursive, Origin: eval.OriginEnv}, "E = ", "environment"},
	}
	for _, tt := range tests {
		if got := Definition(&tt.v); got != tt.def {
			t.Errorf("Definition(%s) = %q, want %q", tt.v.Name, got, tt.def)
		}
		if got := Origin(&tt.v); got != tt.comment {
			t.Errorf("Origin(%s) = %q, want %q", tt.v.Name, got, tt.comment)
		}
	}
}

func TestWriteSections(t *testing.T) {
	ev := load(t, "X = 1\nall: a | b ; @echo $@\n%.o: %.c\n\tcc -c $<\nvpath %.c src\n%.o: CFLAGS = -g\n")
	var buf bytes.Buffer
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := Write(&buf, ev, Options{Now: now, Phony: map[string]bool{"all": true}}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	want := []string{
		"\n# Make data base, printed on Fri Jan  2 03:04:05 2026\n",
		"# makefile (from 'Makefile', line 1)\nX = 1\n",
		"%.o :\n# makefile (from 'Makefile', line 6)\n# CFLAGS := -g\n",
		"%.o: %.c\n#  recipe to execute (from 'Makefile', line 4):\n\tcc -c $<\n",
		"# 1 implicit rules, 0 (0.0%) terminal.\n",
		"# Not a target:\na:\n",
		"all: a | b\n#  Phony target (prerequisite of .PHONY).\n",
		"vpath %.c src\n\n# 1 'vpath' search paths.\n",
		"# No general ('VPATH' variable) search path.\n",
		"# Finished Make data base on Fri Jan  2 03:04:05 2026\n",
	}
	last := -1
	for _, w := range want {
		i := strings.Index(out, w)
		if i < 0 {
			t.Errorf("missing %q in:\n%s", w, out)
			continue
		}
		if i < last {
			t.Errorf("%q out of order", w)
		}
		last = i
	}
}
