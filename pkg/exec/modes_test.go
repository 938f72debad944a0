package exec

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// -t and -q: only the Always lines run, echoed unless silent (as GNU make
// 4.3 does with "+echo plus", "+@echo plussilent", "echo normal").
func TestOnlyAlways(t *testing.T) {
	var out bytes.Buffer
	res := Run(context.Background(), &Job{Mode: OnlyAlways, Stdout: &out, Stderr: &out, Lines: []Line{
		{Text: "echo plus", Always: true}, {Text: "echo plussilent", Always: true, Silent: true}, {Text: "echo normal"},
	}})
	if want := "echo plus\nplus\nplussilent\n"; !res.OK() || out.String() != want {
		t.Errorf("result %+v output %q, want %q", res, out.String(), want)
	}
}

func TestNoPosition(t *testing.T) {
	var out bytes.Buffer
	Run(context.Background(), &Job{Target: "x.o", Program: "dmake", Stdout: &out, Stderr: &out, Lines: []Line{{Text: "false", Silent: true}}})
	if want := "dmake: *** [x.o] Error 1\n"; out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
}

func TestSeparateWritersAndStdin(t *testing.T) {
	var stdout, stderr bytes.Buffer
	res := Run(context.Background(), &Job{Target: "t", Stdin: strings.NewReader("from stdin\n"), Stdout: &stdout, Stderr: &stderr,
		Lines: []Line{{Text: "cat"}, {Text: "echo oops >&2; exit 5", Pos: "M:9"}}})
	if res.Status != Failed || res.Line != 1 || res.Exit.Code != 5 {
		t.Errorf("result %+v", res)
	}
	if want := "cat\nfrom stdin\necho oops >&2; exit 5\n"; stdout.String() != want {
		t.Errorf("stdout %q, want %q", stdout.String(), want)
	}
	if want := "oops\nmake: *** [M:9: t] Error 5\n"; stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
}

// A background process that keeps the output pipe open delays the end of
// the job by IODelay at most.
func TestBackgroundHoldingPipe(t *testing.T) {
	var out bytes.Buffer
	r := &Runner{IODelay: 1}
	res := r.Run(context.Background(), &Job{Stdout: &out, Stderr: &out, Lines: []Line{{Text: "echo start; sleep 2 &", Silent: true}}})
	if !res.OK() || !strings.HasPrefix(out.String(), "start\n") {
		t.Errorf("result %+v output %q", res, out.String())
	}
}
