package main

import (
	"fmt"
	"github.com/dmake/dmake/pkg/cluster/proctest/harness"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkClusterEndToEnd builds a graph of N steps whose recipe is ":"
// (DMAKE_BENCH_STEPS, default 10,000) with local dmake and with dmake
// --cluster on 3 coordinators and 4 workers (separate processes on
// loopback), at the same -j, and reports both wall times and their ratio.
// Run: go test ./cmd/dmake -run '^$' -bench ClusterEndToEnd -benchtime 1x
func BenchmarkClusterEndToEnd(b *testing.B) {
	steps := 10000
	if s, err := strconv.Atoi(os.Getenv("DMAKE_BENCH_STEPS")); err == nil && s > 0 {
		steps = s
	}
	dir := b.TempDir()
	bins := filepath.Join(dir, "bins")
	for _, p := range []string{"dmake", "dmaked"} {
		if out, err := exec.Command("go", "build", "-o", filepath.Join(bins, p), "github.com/dmake/dmake/cmd/"+p).CombinedOutput(); err != nil {
			b.Fatalf("build %s: %v\n%s", p, err, out)
		}
	}
	dmake, dmaked := filepath.Join(bins, "dmake"), filepath.Join(bins, "dmaked")

	var addrs, rafts []string
	for i := 0; i < 3; i++ {
		addrs = append(addrs, harness.FreeAddr(b))
		rafts = append(rafts, harness.FreeAddr(b))
	}
	var procs []*exec.Cmd
	defer func() {
		for _, p := range procs {
			p.Process.Kill()
			p.Wait()
		}
	}()
	start := func(args ...string) {
		c := exec.Command(dmaked, args...)
		if err := c.Start(); err != nil {
			b.Fatal(err)
		}
		procs = append(procs, c)
	}
	for i := range addrs {
		args := []string{"coordinator", "--node-id", fmt.Sprintf("c%d", i), "--data-dir", filepath.Join(dir, fmt.Sprintf("c%d", i)),
			"--bind", addrs[i], "--raft-bind", rafts[i], "--bootstrap-expect", "3"}
		for j := range addrs {
			if j != i {
				args = append(args, "--join", addrs[j])
			}
		}
		start(args...)
	}
	for i := 0; i < 4; i++ {
		start("worker", "--name", fmt.Sprintf("w%d", i), "--slots", "4", "--coordinators", strings.Join(addrs, ","))
	}
	cluster := strings.Join(addrs, ",")
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, _ := exec.Command(dmake, "cluster", "workers", "--cluster", cluster).Output()
		if strings.Count(string(out), "ready") == 4 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("cluster not ready:\n%s", out)
		}
		time.Sleep(200 * time.Millisecond)
	}

	var mk strings.Builder
	mk.WriteString("N := $(shell seq 1 " + strconv.Itoa(steps) + ")\nall: $(addprefix t,$(N))\nt%:\n\t@:\n.PHONY: all\n")
	project := func(name string) string {
		d := filepath.Join(dir, name)
		os.MkdirAll(d, 0o755)
		os.WriteFile(filepath.Join(d, "Makefile"), []byte(mk.String()), 0o644)
		return d
	}
	run := func(d string, args ...string) time.Duration {
		c := exec.Command(dmake, args...)
		c.Dir = d
		t0 := time.Now()
		if out, err := c.CombinedOutput(); err != nil {
			b.Fatalf("dmake %v: %v\n%s", args, err, out)
		}
		return time.Since(t0)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		local := run(project(fmt.Sprintf("local%d", i)), "-j16")
		remote := run(project(fmt.Sprintf("cluster%d", i)), "-j16", "--cluster", cluster)
		b.ReportMetric(local.Seconds(), "local-s")
		b.ReportMetric(remote.Seconds(), "cluster-s")
		b.ReportMetric(remote.Seconds()/local.Seconds(), "cluster/local")
	}
}
