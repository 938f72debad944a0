package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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

// TestDevModeAndAdminCommands builds dmaked, starts `dmaked dev`, and drives
// it with the status, workers, drain, undrain and operator commands.
func TestDevModeAndAdminCommands(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "dmaked")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	run := func(args ...string) (string, error) {
		out, err := exec.Command(bin, args...).CombinedOutput()
		return string(out), err
	}
	if out, err := run("drain"); err == nil || !strings.Contains(out, "give one worker") {
		t.Fatalf("drain without a worker: %v %s", err, out)
	}
	addr := freeAddr(t)
	dev := exec.Command(bin, "dev", "--workers", "2", "--slots", "1", "--bind", addr, "--raft-bind", freeAddr(t), "--data-dir", t.TempDir())
	dev.Stderr = os.Stderr
	if os.Getenv("DMAKE_TEST_LOG") == "" {
		dev.Stderr = nil
	}
	if err := dev.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = dev.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- dev.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("dev exited with %v", err)
			}
		case <-time.After(20 * time.Second):
			_ = dev.Process.Kill()
			t.Error("dev did not stop on SIGTERM")
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := run("workers", "-c", addr)
		if err == nil && strings.Contains(out, "dev-1") && strings.Contains(out, "dev-2") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("workers never listed: %v %s", err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if out, err := run("status", "-c", addr); err != nil || !strings.Contains(out, "leader: dev") || !strings.Contains(out, "workers up: 2") {
		t.Fatalf("status: %v\n%s", err, out)
	}
	if out, err := run("drain", "-c", addr, "dev-1"); err != nil {
		t.Fatalf("drain: %v %s", err, out)
	}
	if out, _ := run("workers", "-c", addr); !strings.Contains(out, "draining") {
		t.Fatalf("after drain:\n%s", out)
	}
	if out, err := run("undrain", "-c", addr, "dev-1"); err != nil {
		t.Fatalf("undrain: %v %s", err, out)
	}
	if out, _ := run("workers", "-c", addr); strings.Contains(out, "draining") {
		t.Fatalf("after undrain:\n%s", out)
	}
	if out, err := run("operator", "raft", "list-peers", "-c", addr); err != nil || !strings.Contains(out, "dev") {
		t.Fatalf("list-peers: %v\n%s", err, out)
	}
	if out, err := run("builds", "-c", addr); err != nil || !strings.Contains(out, "STATUS") {
		t.Fatalf("builds: %v\n%s", err, out)
	}
}
