package exec

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitFile waits (bounded) for a recipe to write path, and returns its
// content.
func waitFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && strings.HasSuffix(string(b), "\n") {
			return strings.TrimSpace(string(b))
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s never written", path)
	return ""
}

// waitGone waits (bounded) until pid no longer exists.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		// A zombie still answers kill(0): look at its state.
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
			if f := strings.Fields(string(b)); len(f) > 2 && f[2] == "Z" {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("process %d survived", pid)
}

// background is a recipe line that leaves a background grandchild in the
// group, records its pid and then waits forever.
func background(pidfile string) Line {
	return Line{Text: "sleep 60 & echo $! > " + pidfile + "; wait", Silent: true}
}

func TestCancelKillsGroup(t *testing.T) {
	dir := t.TempDir()
	pidfile := filepath.Join(dir, "pid")
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	done := make(chan Result)
	go func() {
		done <- (&Runner{}).Run(ctx, &Job{Target: "t", Lines: []Line{background(pidfile), {Text: "echo never"}}, Stdout: &out, Stderr: &out})
	}()
	pid, _ := strconv.Atoi(waitFile(t, pidfile))
	cancel()
	res := <-done
	if res.Status != Interrupted || res.Line != 0 || !errors.Is(res.Err, context.Canceled) {
		t.Errorf("result %+v, want Interrupted at line 0", res)
	}
	if out.Len() != 0 {
		t.Errorf("printed %q on interrupt", out.String())
	}
	waitGone(t, pid)
}

func TestCancelEscalatesToKill(t *testing.T) {
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready")
	ctx, cancel := context.WithCancel(context.Background())
	r := &Runner{Grace: 50 * time.Millisecond}
	done := make(chan Result)
	go func() {
		done <- r.Run(ctx, &Job{Target: "t", Lines: []Line{{Text: "trap '' TERM; echo x > " + ready + "; while :; do sleep 0.01; done", Silent: true}}})
	}()
	waitFile(t, ready)
	cancel()
	res := <-done
	if res.Status != Interrupted || res.Exit.Signal != syscall.SIGKILL {
		t.Errorf("result %+v, want Interrupted by SIGKILL", res)
	}
}

func TestCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := Run(ctx, &Job{Lines: []Line{{Text: "true"}}})
	if res.Status != Interrupted || res.Line != 0 {
		t.Errorf("result %+v", res)
	}
}

func TestSignalForwardsToGroups(t *testing.T) {
	dir := t.TempDir()
	r := &Runner{}
	var outs [2]bytes.Buffer
	done := make(chan Result, 2)
	for i := range 2 {
		pidfile := filepath.Join(dir, "pid"+strconv.Itoa(i))
		go func() {
			// No background process here: sh runs those with SIGINT
			// ignored, as GNU make's children would have them.
			line := Line{Text: "echo $$ > " + pidfile + "; exec sleep 60", Silent: true}
			done <- r.Run(context.Background(), &Job{Target: "t", Lines: []Line{line}, Stdout: &outs[i], Stderr: &outs[i]})
		}()
		waitFile(t, pidfile)
	}
	if n := r.Signal(syscall.SIGINT); n != 2 {
		t.Errorf("Signal reached %d groups, want 2", n)
	}
	for range 2 {
		res := <-done
		if res.Status != Interrupted || !errors.Is(res.Err, ErrSignalled) {
			t.Errorf("result %+v, want Interrupted by a forwarded signal", res)
		}
	}
	for i := range outs {
		if outs[i].Len() != 0 {
			t.Errorf("printed %q", outs[i].String())
		}
	}
	if n := r.Signal(syscall.SIGINT); n != 0 {
		t.Errorf("Signal reached %d groups after they ended", n)
	}
}

func TestOwnProcessGroup(t *testing.T) {
	var out bytes.Buffer
	res := Run(context.Background(), &Job{Lines: []Line{{Text: "sh -c 'ps -o pgid= -p $$; echo $$'", Silent: true}}, Stdout: &out})
	if !res.OK() {
		t.Fatalf("result %+v", res)
	}
	f := strings.Fields(out.String())
	if len(f) != 2 || f[0] != f[1] {
		// sh is the leader of its own group: pgid == pid.
		t.Errorf("pgid/pid = %q", out.String())
	}
}

func TestExtraFilesOnlyForAlways(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	check := "[ -p /dev/fd/3 ]"
	var out bytes.Buffer
	job := &Job{Target: "t", Stdout: &out, Stderr: &out, ExtraFiles: []*os.File{r},
		Lines: []Line{{Text: check, Silent: true, Always: true}, {Text: check, Silent: true, Pos: "M:3"}}}
	res := Run(context.Background(), job)
	if res.Status != Failed || res.Line != 1 {
		t.Errorf("result %+v, want the non-recursive line to lack fd 3; output %q", res, out.String())
	}
	if want := "make: *** [M:3: t] Error 1\n"; out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
}

func TestMissingDirIsStartFailure(t *testing.T) {
	var out bytes.Buffer
	res := Run(context.Background(), &Job{Dir: filepath.Join(t.TempDir(), "nope"), Lines: []Line{{Text: "true"}}, Stdout: &out, Stderr: &out})
	if res.Status != StartFailed || res.Err == nil || out.Len() != 0 {
		t.Errorf("result %+v output %q", res, out.String())
	}
}

func TestEnvPathIsTheChilds(t *testing.T) {
	dir := t.TempDir()
	writeExec(t, filepath.Join(dir, "myprog"), "#!/bin/sh\necho mine\n", 0o755)
	var out bytes.Buffer
	res := Run(context.Background(), &Job{Env: []string{"PATH=" + dir}, Lines: []Line{{Text: "myprog", Silent: true}}, Stdout: &out})
	if !res.OK() || out.String() != "mine\n" {
		t.Errorf("result %+v output %q", res, out.String())
	}
}

func TestFileOutputs(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res := Run(context.Background(), &Job{Target: "t", Lines: []Line{{Text: "echo a"}, {Text: "ls /nonexistent-dmake", Pos: "M:2"}}, Stdout: f, Stderr: f})
	if res.Status != Failed || res.Exit.Code != 2 {
		t.Errorf("result %+v", res)
	}
	b, _ := os.ReadFile(f.Name())
	want := "echo a\na\nls /nonexistent-dmake\nls: cannot access '/nonexistent-dmake': No such file or directory\nmake: *** [M:2: t] Error 2\n"
	if string(b) != want {
		t.Errorf("file holds %q, want %q", b, want)
	}
}

// BenchmarkForkExecTrue is the floor BenchmarkRunTrue is measured against:
// the bare cost of starting and reaping /bin/true from Go.
func BenchmarkForkExecTrue(b *testing.B) {
	env := os.Environ()
	for b.Loop() {
		pid, err := syscall.ForkExec("/usr/bin/true", []string{"true"}, &syscall.ProcAttr{Env: env, Files: []uintptr{0, 1, 2}})
		if err != nil {
			b.Fatal(err)
		}
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRunTrue(b *testing.B) {
	job := &Job{Lines: []Line{{Text: "true", Silent: true}}, Env: os.Environ()}
	for b.Loop() {
		if res := Run(context.Background(), job); !res.OK() {
			b.Fatal(res)
		}
	}
}
