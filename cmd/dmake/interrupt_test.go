package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInterruptMixedTree interrupts the whole process group (a Ctrl-C)
// of a GNU make with a dmake sub-make, and of a dmake with a GNU make
// sub-make, while the sub-make's recipe writes its target: the sub-make
// must delete the target and die of SIGINT, so that the parent reports it
// as interrupted ("Interrupt", not "Error 2") and dies of SIGINT itself.
// dmake's recipes run in process groups of their own, so in the second
// tree the signal reaches GNU make only because dmake forwards it.
func TestInterruptMixedTree(t *testing.T) {
	diffCheckRefMake(t)
	root := t.TempDir()
	dm := filepath.Join(root, "dmake")
	if out, err := exec.Command("go", "build", "-o", dm, "github.com/dmake/dmake/cmd/dmake").CombinedOutput(); err != nil {
		t.Fatalf("build dmake: %v\n%s", err, out)
	}
	t.Run("gnu-over-dmake", func(t *testing.T) {
		interruptTree(t, diffRefMake(), dm, "make: *** [Makefile:2: all] Interrupt\n", "dmake[1]")
	})
	t.Run("dmake-over-gnu", func(t *testing.T) {
		interruptTree(t, dm, diffRefMake(), "dmake: *** [Makefile:2: all] Interrupt\n", "make[1]")
	})
}

func interruptTree(t *testing.T, top, sub, parentLine, subProg string) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"Makefile": "all:\n\t+@" + sub + " --no-print-directory -C sub\n",
		"sub/Makefile": "x:\n\t@echo partial > x; trap 'sleep 0.3; exit 130' INT; " +
			"perl -e 'open(F,\">started\"); close F; sleep 20'\n",
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A hang guard, not a timing assertion.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, top)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + dir, "LC_ALL=C"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "sub", "started")); err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("the recipe never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("top make: %v, want killed by SIGINT\n%s", err, stderr.String())
	}
	if ws := ee.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Errorf("top make ended %v, want killed by SIGINT", ee)
	}
	want := subProg + ": *** Deleting file 'x'\n" + subProg + ": *** [Makefile:2: x] Error 130\n" + parentLine
	if got := stderr.String(); got != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "sub", "x")); err == nil {
		t.Error("sub/x was not deleted")
	}
}
