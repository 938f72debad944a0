package main

import (
	"bytes"
	"fmt"
	"github.com/dmake/dmake/pkg/cluster/proctest/harness"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const faultMakefile = `
SRCS := $(wildcard *.c)
all: prog
prog: $(SRCS:.c=.o)
	cat $^ > $@
%.o: %.c
	@echo start $@ >> attempts.log
	@sleep 0.6
	@sed 's/^/obj:/' $< > $@
	@echo end $@ >> attempts.log
`

// daemon is a dmaked process of a test cluster.
type daemon struct {
	cmd *exec.Cmd
	log *bytes.Buffer
}

func startDaemon(t *testing.T, dmaked string, args ...string) *daemon {
	t.Helper()
	d := &daemon{cmd: exec.Command(dmaked, args...), log: &bytes.Buffer{}}
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.cmd.Process.Kill()
		d.cmd.Wait()
		if t.Failed() {
			t.Logf("%s log:\n%s", strings.Join(args[:1], " "), d.log.String())
		}
	})
	return d
}

// waitWorkers polls "dmake cluster workers" until cond holds on its output.
func waitWorkers(t *testing.T, dmake, addr string, cond func(string) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		out, _ := exec.Command(dmake, "cluster", "workers", "--cluster", addr).Output()
		if cond(string(out)) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("cluster workers never reached the expected state")
}

// TestClusterSurvivesWorkerKill runs a make build on a coordinator and two
// worker processes and SIGKILLs one worker while it runs recipes. The build
// must succeed with GNU make's files; the killed worker's recipes (guarded)
// must not go on writing after it died.
func TestClusterSurvivesWorkerKill(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("GNU make not installed")
	}
	dmake, dmaked := clusterBins(t)
	addr, raft := harness.FreeAddr(t), harness.FreeAddr(t)
	startDaemon(t, dmaked, "coordinator", "--node-id", "c1", "--data-dir", t.TempDir(), "--bind", addr, "--raft-bind", raft,
		"--bootstrap-expect", "1", "--heartbeat-interval", "300ms", "--worker-ttl", "2s", "--worker-grace", "1s", "--loss-backoff", "0s,0s,0s")
	victim := startDaemon(t, dmaked, "worker", "--name", "victim", "--slots", "2", "--coordinators", addr)
	startDaemon(t, dmaked, "worker", "--name", "survivor", "--slots", "2", "--coordinators", addr)
	waitWorkers(t, dmake, addr, func(s string) bool { return strings.Count(s, "ready") == 2 })

	files := map[string]string{"Makefile": faultMakefile}
	for i := 0; i < 10; i++ {
		files[fmt.Sprintf("s%02d.c", i)] = fmt.Sprintf("source %d\n", i)
	}
	mk := func() string {
		dir := t.TempDir()
		for n, c := range files {
			os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644)
		}
		return dir
	}
	ref := mk()
	refMake := exec.Command("make", "-C", ref, "-j4", "--no-print-directory")
	refMake.Env = cleanEnv()
	if out, err := refMake.CombinedOutput(); err != nil {
		t.Fatalf("GNU make: %v\n%s", err, out)
	}
	dir := mk()
	build := exec.Command(dmake, "--cluster", addr, "-j4")
	build.Dir = dir
	build.Env = cleanEnv()
	var out bytes.Buffer
	build.Stdout, build.Stderr = &out, &out
	if err := build.Start(); err != nil {
		t.Fatal(err)
	}
	waitWorkers(t, dmake, addr, func(s string) bool {
		for _, l := range strings.Split(s, "\n") {
			if f := strings.Fields(l); len(f) >= 5 && f[1] == "victim" && f[4] != "0" {
				return true
			}
		}
		return false
	})
	victim.cmd.Process.Signal(syscall.SIGKILL)
	if err := build.Wait(); err != nil {
		t.Fatalf("build failed after a worker was killed: %v\n%s", err, out.String())
	}
	for _, f := range []string{"prog"} {
		got, _ := os.ReadFile(filepath.Join(dir, f))
		want, _ := os.ReadFile(filepath.Join(ref, f))
		if string(got) != string(want) {
			t.Fatalf("%s differs from GNU make's:\n%s\nwant\n%s", f, got, want)
		}
	}
	before, _ := os.ReadFile(filepath.Join(dir, "attempts.log"))
	time.Sleep(1500 * time.Millisecond)
	after, _ := os.ReadFile(filepath.Join(dir, "attempts.log"))
	if string(before) != string(after) {
		t.Fatalf("a recipe of the dead worker went on after the build:\n%s", after[len(before):])
	}
	if strings.Count(string(after), "start") <= 10 {
		t.Fatalf("no step ran twice, so the kill did not land mid-step:\n%s", after)
	}
}
