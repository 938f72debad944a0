package exec

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// TestSignalCauseForwardsSignal: a context cancelled with a SignalCause
// sends that signal, so the line dies of SIGINT, not SIGTERM.
func TestSignalCauseForwardsSignal(t *testing.T) {
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready")
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan Result, 1)
	go func() {
		done <- Run(ctx, &Job{Target: "x", Dir: dir, Lines: []Line{{Text: "echo ok > " + ready + "; exec sleep 60", Silent: true}}})
	}()
	waitFile(t, ready)
	cancel(&SignalCause{Sig: syscall.SIGINT})
	res := <-done
	if res.Status != Interrupted || res.Exit.Signal != syscall.SIGINT {
		t.Fatalf("got %v, exit %+v; want interrupted by SIGINT", res.Status, res.Exit)
	}
}

// TestNotifyFileBefore: a job writing to NotifyFiles calls Before before
// it echoes or starts a command, and not for a lone silent ':'.
func TestNotifyFileBefore(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var calls atomic.Int32
	nf := &NotifyFile{File: f, Before: func() { calls.Add(1) }}
	job := &Job{Target: "x", Lines: []Line{{Text: ":", Silent: true}}, Stdout: nf, Stderr: nf}
	if res := Run(context.Background(), job); !res.OK() || calls.Load() != 0 {
		t.Fatalf("silent ':': %v, %d calls; want ok and none", res.Status, calls.Load())
	}
	job.Lines = []Line{{Text: "echo hi", Silent: true}}
	if res := Run(context.Background(), job); !res.OK() || calls.Load() == 0 {
		t.Fatalf("echo: %v, %d calls; want ok and some", res.Status, calls.Load())
	}
	data, _ := os.ReadFile(f.Name())
	if strings.TrimSpace(string(data)) != "hi" {
		t.Errorf("output %q, want the child writing to the file itself", data)
	}
}
