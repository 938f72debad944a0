package cluster

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	// Helper mode: be a "worker" running one step, to be SIGKILLed.
	if p := os.Getenv("DMAKE_SHELL_HELPER"); p != "" {
		ShellRunner{}.Run(context.Background(), StepRequest{Dir: os.Getenv("DMAKE_SHELL_DIR"), Payload: []byte(p)}, io.Discard)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestShellRunnerStepsDieWithTheWorker: SIGKILL the process running a step;
// the step's grandchildren die too.
func TestShellRunnerStepsDieWithTheWorker(t *testing.T) {
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), "DMAKE_SHELL_DIR="+dir, "DMAKE_SHELL_HELPER=sleep 60 & echo $! > sleep.pid; wait")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	deadline := time.Now().Add(20 * time.Second)
	for pid == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the step did not start")
		}
		time.Sleep(20 * time.Millisecond)
		b, _ := os.ReadFile(filepath.Join(dir, "sleep.pid"))
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	deadline = time.Now().Add(10 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatal("the step's grandchild outlived its worker")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
