package worker_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dmake/dmake/pkg/cluster"
	"github.com/dmake/dmake/pkg/cluster/client"
	"github.com/dmake/dmake/pkg/cluster/coord"
	"github.com/dmake/dmake/pkg/cluster/worker"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func readPID(t *testing.T, path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestWorkerFencesItself: a worker that cannot renew its lease (its only
// coordinator is gone) kills its running step, the whole process group,
// within its TTL, without being told.
func TestWorkerFencesItself(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	co, err := coord.Start(coord.Config{NodeID: "c1", DataDir: t.TempDir(), RPCAddr: freeAddr(t), RaftAddr: freeAddr(t),
		BootstrapExpect: 1, HeartbeatInterval: 200 * time.Millisecond, WorkerTTL: time.Second, WorkerGrace: time.Second,
		RaftHeartbeat: 300 * time.Millisecond, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer co.Shutdown()
	waitFor(t, "leadership", 20*time.Second, co.IsLeader)
	ag, err := worker.New(worker.Config{Name: "w", Slots: 1, Coordinators: []string{co.Addr()}, Runner: cluster.ShellRunner{}, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = ag.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	dir := t.TempDir()
	cl := client.New([]string{co.Addr()})
	defer cl.Close()
	sctx, scancel := context.WithTimeout(ctx, 20*time.Second)
	defer scancel()
	if err := cl.Submit(sctx, cluster.BuildSpec{ID: "b", Dir: dir, Steps: []cluster.StepSpec{
		{Target: "long", Payload: []byte("echo $$ > sh.pid; sleep 60 & echo $! > sleep.pid; wait")},
	}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the step to start", 20*time.Second, func() bool {
		return readPID(t, filepath.Join(dir, "sleep.pid")) != 0
	})
	shPID, sleepPID := readPID(t, filepath.Join(dir, "sh.pid")), readPID(t, filepath.Join(dir, "sleep.pid"))
	if !alive(shPID) || !alive(sleepPID) || ag.Running() != 1 {
		t.Fatal("step not running")
	}
	cut := time.Now()
	if err := co.Shutdown(); err != nil {
		t.Fatal(err)
	}
	// TTL 1s from the last renewal; allow for scheduling on a loaded machine.
	waitFor(t, "the worker to kill its step", 10*time.Second, func() bool {
		return ag.Running() == 0 && !alive(shPID) && !alive(sleepPID)
	})
	if since := time.Since(cut); since < 500*time.Millisecond {
		t.Fatalf("step killed %v after the cut: before the lease could have run out", since)
	}
}
