package makestep

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dmake/dmake/pkg/cluster"
	"github.com/dmake/dmake/pkg/exec/builder"
	"github.com/dmake/dmake/pkg/graph/eval"
	"github.com/dmake/dmake/pkg/graph/plan"
)

const makefile = `
CFLAGS = -O1
export GREETING = hello
objs := a.o b.o
all: prog
prog: $(objs) | outdir
	@echo link $^ into $@ > $@
	@echo "[$$GREETING] $(CFLAGS)"
%.o: %.c
	@echo compile $< $(CFLAGS) > $@
b.o: CFLAGS += -g
outdir:
	@mkdir -p $@
seen: prog
	@echo $(wildcard *.o) > $@
`

// load plans makefile in dir, as dmake's client does before submitting.
func load(t *testing.T, dir string, goals ...string) (*plan.Graph, *eval.Evaluator) {
	t.Helper()
	ev := eval.New(eval.Config{Dir: dir, Program: "make", Env: []string{"PATH=" + os.Getenv("PATH")}, Stdout: os.Stdout, Stderr: os.Stderr})
	if err := ev.Load([]eval.Input{{Name: "Makefile", Data: []byte(makefile)}}, nil, false); err != nil {
		t.Fatal(err)
	}
	ev.Snap(false)
	g, err := plan.Build(ev, goals, plan.OSFS{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return g, ev
}

func write(t *testing.T, dir string, files map[string]string) {
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func tree(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(b)
		return nil
	})
	return out
}

// TestRunnerMatchesLocalBuild runs every step through the worker-side
// Runner, in the cluster's order, with the payloads passing through bytes
// as they do over the wire, and compares files and output with the local
// builder on an identical tree.
func TestRunnerMatchesLocalBuild(t *testing.T) {
	sources := map[string]string{"a.c": "a", "b.c": "b"}

	local := t.TempDir()
	write(t, local, sources)
	g, ev := load(t, local, "all", "seen")
	var lout, lerr bytes.Buffer
	b, err := builder.New(g, ev, builder.Options{Jobs: 1, Dir: local, Program: "make", Stdout: &lout, Stderr: &lerr, Env: []string{"PATH=" + os.Getenv("PATH")}})
	if err != nil {
		t.Fatal(err)
	}
	if res := b.Run(context.Background()); res.ExitCode != 0 {
		t.Fatalf("local build failed: %d\n%s", res.ExitCode, lout.String())
	}

	remote := t.TempDir()
	write(t, remote, sources)
	g2, ev2 := load(t, remote, "all", "seen")
	enc, err := Encode("b1", g2, ev2, builder.Options{Dir: remote, Program: "make", Env: []string{"PATH=" + os.Getenv("PATH")}}, cluster.Options{Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range enc.Spec.Steps {
		for _, d := range st.Deps {
			if d >= i {
				t.Fatalf("step %d depends on later step %d", i, d)
			}
		}
	}
	r := &Runner{}
	var framed, rout, rerr bytes.Buffer
	for i, st := range enc.Spec.Steps {
		res := r.Run(context.Background(), cluster.StepRequest{
			Build: "b1", Dir: remote, BuildPayload: enc.Spec.Payload, Step: i, Target: st.Target, Payload: st.Payload, Attempt: 1,
		}, &framed)
		if res.Failed {
			t.Fatalf("step %s failed: %+v\n%s", st.Target, res, framed.String())
		}
	}
	(&Demux{Stdout: &rout, Stderr: &rerr}).Write(framed.Bytes())
	if got, want := tree(t, remote), tree(t, local); !equal(got, want) {
		t.Fatalf("files differ:\ncluster %v\nlocal   %v", got, want)
	}
	// The local builder adds "Nothing to be done" notes the client prints;
	// recipe output must be the same.
	lo := strings.ReplaceAll(lout.String(), "make: 'seen' is up to date.\n", "")
	if rout.String() != lo || rerr.String() != lerr.String() {
		t.Fatalf("output differs:\ncluster %q %q\nlocal   %q %q", rout.String(), rerr.String(), lo, lerr.String())
	}
	if !strings.Contains(rout.String(), "[hello] -O1") {
		t.Fatalf("exported variable or target flags missing: %q", rout.String())
	}
	if got := tree(t, remote)["b.o"]; got != "compile b.c -O1 -g\n" {
		t.Fatalf("target-specific += lost: %q", got)
	}
}

// TestRetriedAttemptRemovesPartialTarget checks that a step whose earlier
// attempt was lost runs again even though the lost attempt left a newer,
// half-written target behind.
func TestRetriedAttemptRemovesPartialTarget(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"a.c": "a", "b.c": "b"})
	g, ev := load(t, dir, "a.o")
	enc, err := Encode("b2", g, ev, builder.Options{Dir: dir, Program: "make", Env: []string{"PATH=" + os.Getenv("PATH")}}, cluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir, map[string]string{"a.o": "PARTIAL"})
	var out bytes.Buffer
	r := &Runner{}
	last := len(enc.Spec.Steps) - 1
	st := enc.Spec.Steps[last]
	res := r.Run(context.Background(), cluster.StepRequest{Build: "b2", Dir: dir, BuildPayload: enc.Spec.Payload, Step: last, Target: st.Target, Payload: st.Payload, Attempt: 2}, &out)
	if res.Failed || !res.Changed {
		t.Fatalf("retry: %+v %s", res, out.String())
	}
	if got := tree(t, dir)["a.o"]; got != "compile a.c -O1\n" {
		t.Fatalf("partial target kept: %q", got)
	}
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestDemuxAnyChunking frames writes to both streams and reads them back
// through every way of cutting the framed bytes in two.
func TestDemuxAnyChunking(t *testing.T) {
	var framed bytes.Buffer
	o, e := Streams(&framed)
	o.Write([]byte("out one\n"))
	e.Write([]byte("err one\n"))
	o.Write([]byte(strings.Repeat("x", 300) + "\n"))
	e.Write([]byte("err two\n"))
	all := framed.Bytes()
	for cut := 0; cut <= len(all); cut++ {
		var so, se bytes.Buffer
		d := &Demux{Stdout: &so, Stderr: &se}
		d.Write(all[:cut])
		d.Write(all[cut:])
		if so.String() != "out one\n"+strings.Repeat("x", 300)+"\n" || se.String() != "err one\nerr two\n" {
			t.Fatalf("cut at %d: stdout %q stderr %q", cut, so.String(), se.String())
		}
	}
}

// BenchmarkRunnerStep is the worker-side cost of one make step whose
// recipe is ":" (decode, decide, expand, run through a shell).
func BenchmarkRunnerStep(b *testing.B) {
	dir := b.TempDir()
	ev := eval.New(eval.Config{Dir: dir, Program: "make", Env: os.Environ(), Stdout: io.Discard, Stderr: io.Discard})
	if err := ev.Load([]eval.Input{{Name: "Makefile", Data: []byte("t%:\n\t@:\n")}}, nil, false); err != nil {
		b.Fatal(err)
	}
	ev.Snap(false)
	g, err := plan.Build(ev, []string{"t1"}, plan.OSFS{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	enc, err := Encode("bench", g, ev, builder.Options{Dir: dir, Program: "make", Env: os.Environ()}, cluster.Options{})
	if err != nil {
		b.Fatal(err)
	}
	st := enc.Spec.Steps[0]
	r := &Runner{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res := r.Run(context.Background(), cluster.StepRequest{Build: "bench", Dir: dir, BuildPayload: enc.Spec.Payload, Target: st.Target, Payload: st.Payload, Attempt: 1}, io.Discard)
		if res.Failed {
			b.Fatal(res)
		}
	}
}

// TestRetryNeverTouchesSources checks that a retried step without a recipe
// (a source file) is left alone: only targets that have a recipe can have
// been half written by a lost attempt.
func TestRetryNeverTouchesSources(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"a.c": "a", "b.c": "b"})
	g, ev := load(t, dir, "a.o")
	enc, err := Encode("b3", g, ev, builder.Options{Dir: dir, Program: "make", Env: []string{"PATH=" + os.Getenv("PATH")}}, cluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{}
	for i, st := range enc.Spec.Steps {
		if st.Target != "a.c" {
			continue
		}
		var out bytes.Buffer
		res := r.Run(context.Background(), cluster.StepRequest{Build: "b3", Dir: dir, BuildPayload: enc.Spec.Payload, Step: i, Target: st.Target, Payload: st.Payload, Attempt: 2}, &out)
		if res.Failed {
			t.Fatalf("source step failed: %+v %s", res, out.String())
		}
	}
	if got := tree(t, dir)["a.c"]; got != "a" {
		t.Fatalf("retry of a source step changed it: %q", got)
	}
}
