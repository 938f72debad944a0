//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	pb "github.com/dmake/dmake/pkg/cluster/proto"
)

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// DmakeRun is one dmake process on the host.
type DmakeRun struct {
	cmd  *exec.Cmd
	out  lockedBuffer
	done chan struct{}
	err  error
}

// StartDmake runs `dmake --cluster ADDRS args...` in dir, in the background.
// `dmake cluster SUB ...` commands take the addresses after the
// subcommand, so for those the --cluster flag goes last.
func (c *Cluster) StartDmake(t *testing.T, dir string, args ...string) *DmakeRun {
	t.Helper()
	r := &DmakeRun{done: make(chan struct{})}
	full := append([]string{"--cluster", strings.Join(c.Addrs, ",")}, args...)
	if len(args) > 0 && args[0] == "cluster" {
		full = append(args[:len(args):len(args)], "--cluster", strings.Join(c.Addrs, ","))
	}
	r.cmd = exec.Command(filepath.Join(stageDir(), "dmake"), full...)
	r.cmd.Dir, r.cmd.Env = dir, buildEnv()
	r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.out
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Logf("dmake %s (in %s)", strings.Join(full, " "), dir)
	go func() { r.err = r.cmd.Wait(); close(r.done) }()
	t.Cleanup(func() { r.Kill() })
	return r
}

// Wait waits for dmake to exit, at most limit (then kills it and fails).
func (r *DmakeRun) Wait(t *testing.T, limit time.Duration) (string, error) {
	t.Helper()
	select {
	case <-r.done:
		return r.out.String(), r.err
	case <-time.After(limit):
		r.Kill()
		t.Fatalf("dmake did not finish within %v; output so far:\n%s", limit, tail(r.out.String(), 40))
		return "", nil
	}
}

// Kill SIGKILLs dmake (the client dying without a word) and reaps it.
func (r *DmakeRun) Kill() {
	select {
	case <-r.done:
		return
	default:
	}
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.done
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// requireClusterDmake checks that `dmake --cluster` really builds on the
// cluster: a two-step Makefile must show up as a build in the coordinators'
// list, its recipes run by a worker. Until the integrator has wired it, the
// build scenarios skip with the reason (or fail, with
// DMAKE_E2E_REQUIRE_CLUSTER set).
func requireClusterDmake(t *testing.T, c *Cluster) {
	t.Helper()
	dir := filepath.Join(sharedDir, "probe", t.Name())
	_ = os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mk := "all: b\n\t@echo probe-all\nb:\n\t@echo \"ran on $${DMAKE_WORKER:-the client}\" > b\n"
	if err := os.WriteFile(filepath.Join(dir, "Makefile"), []byte(mk), 0o644); err != nil {
		t.Fatal(err)
	}
	since := time.Now()
	r := c.StartDmake(t, dir, "-j2")
	var out string
	var err error
	select {
	case <-r.done:
		out, err = r.out.String(), r.err
	case <-time.After(60 * time.Second):
		r.Kill()
		out, err = r.out.String(), fmt.Errorf("no exit within 60 s")
	}
	b := c.FindBuild(dir, since)
	switch {
	case b == nil:
	case err != nil:
		// Wired, but this two-step build failed: that is a failure.
		t.Fatalf("probe: dmake --cluster -j2 of a two-step Makefile exited %v (build %s on the cluster: %s, %d/%d done); output: %q",
			err, b.Id, b.Status, b.Done, b.Steps, tail(out, 10))
	default:
		return
	}
	msg := fmt.Sprintf("e2e: `dmake --cluster` does not build on the cluster yet: no build appeared on the cluster (dmake exit: %v; output: %q)", err, tail(out, 5))
	if os.Getenv("DMAKE_E2E_REQUIRE_CLUSTER") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// FindBuild returns the newest build whose directory is dir or under it,
// submitted after since (less a second of clock skew); nil if none.
func (c *Cluster) FindBuild(dir string, since time.Time) *pb.BuildInfo {
	var best *pb.BuildInfo
	for _, b := range c.Builds() {
		if b.Dir != dir && !strings.HasPrefix(b.Dir, dir+"/") {
			continue
		}
		if b.SubmittedUnixMs < since.Add(-time.Second).UnixMilli() {
			continue
		}
		if best == nil || b.SubmittedUnixMs > best.SubmittedUnixMs {
			best = b
		}
	}
	return best
}

// WaitProgress waits until the build in dir has at least done steps done and
// is still running, and returns it: the moment to inject a fault mid-build.
func (c *Cluster) WaitProgress(t *testing.T, dir string, since time.Time, done int32) *pb.BuildInfo {
	t.Helper()
	var b *pb.BuildInfo
	c.WaitFor(fmt.Sprintf("build in %s to have %d steps done", dir, done), 3*time.Minute, func() bool {
		b = c.FindBuild(dir, since)
		if b != nil && b.Status != "running" && b.Status != "submitting" {
			t.Fatalf("build %s ended (%s, %d/%d done) before the fault could land", b.Id, b.Status, b.Done, b.Steps)
		}
		return b != nil && b.Done >= done && c.RunningSteps() > 0
	})
	t.Logf("build %s: %d/%d done, %d running: injecting the fault", b.Id, b.Done, b.Steps, b.Running)
	return b
}

// RunningSteps is the number of steps the workers report running.
func (c *Cluster) RunningSteps() int32 {
	n := int32(0)
	for _, w := range c.Workers() {
		n += w.Running
	}
	return n
}

// BusiestWorker is the compose worker with the most running steps.
func (c *Cluster) BusiestWorker(t *testing.T) string {
	t.Helper()
	best, n := "", int32(-1)
	for _, w := range c.Workers() {
		if w.Status == "ready" && w.Running > n && strings.HasPrefix(w.Id, "w") && len(w.Id) == 2 {
			best, n = w.Id, w.Running
		}
	}
	if best == "" {
		t.Fatal("no ready worker")
	}
	t.Logf("busiest worker: %s with %d running", best, n)
	return best
}

// Output normalisation: the program name in make's own messages, and the
// order of lines (a parallel build's output interleaves).
var progRE = regexp.MustCompile(`^(g?make|dmake)(\[\d+\])?:`)

func outputLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l == "" {
			continue
		}
		out = append(out, progRE.ReplaceAllString(l, "make$2:"))
	}
	sort.Strings(out)
	return out
}

// checkOutputHas checks that every line GNU make printed appears in got
// (as often): a lost attempt's output may appear in addition.
func checkOutputHas(t *testing.T, what, ref, got string) {
	t.Helper()
	have := map[string]int{}
	for _, l := range outputLines(got) {
		have[l]++
	}
	var missing []string
	for _, l := range outputLines(ref) {
		if have[l] == 0 {
			missing = append(missing, l)
			continue
		}
		have[l]--
	}
	if len(missing) > 0 {
		if len(missing) > 10 {
			missing = append(missing[:10], fmt.Sprintf("... and %d more", len(missing)-10))
		}
		t.Errorf("%s lacks lines of GNU make's output:\n  %s", what, strings.Join(missing, "\n  "))
	}
}

// buildAndCheck is the common end of every scenario: wait for dmake, then
// check its exit status and output, the cluster's records, the artifacts,
// and that nothing changed in the tree after the build ended.
func buildAndCheck(t *testing.T, c *Cluster, p Project, ref string, r *DmakeRun, since time.Time, want Expect) *Records {
	t.Helper()
	out, err := r.Wait(t, 10*time.Minute)
	if err != nil {
		t.Fatalf("dmake --cluster: %v\n%s", err, tail(out, 40))
	}
	t.Logf("dmake --cluster finished in %.1fs", time.Since(since).Seconds())
	ended, serr := Snapshot(p.BuildDir())
	if serr != nil {
		t.Fatal(serr)
	}
	t.Run("output", func(t *testing.T) { checkOutputHas(t, "dmake's output", ref, out) })
	return checkCluster(t, c, p, since, want, ended)
}

// checkCluster checks, each as its own subtest (so that one failing check
// does not hide the others), the cluster's records, the artifacts, and late
// writes.
func checkCluster(t *testing.T, c *Cluster, p Project, since time.Time, want Expect, ended map[string]fileState) *Records {
	t.Helper()
	b := c.FindBuild(p.BuildDir(), since)
	if b == nil {
		t.Fatalf("no build for %s on the cluster", p.BuildDir())
	}
	recs := FetchRecords(t, c.Client(), b.Id)
	recs.Save(t, filepath.Join(sharedDir, "records", strings.ReplaceAll(t.Name(), "/", "_")+".json"))
	t.Run("records", func(t *testing.T) { recs.Check(t, want) })
	t.Run("artifacts", func(t *testing.T) { p.CompareWithReference(t) })
	t.Run("no-late-writes", func(t *testing.T) {
		// A fenced or killed attempt writing late would change the tree now.
		time.Sleep(lease)
		p.NoChangeSince(t, ended)
	})
	return recs
}

// startBuild prepares a fresh tree and starts dmake -jN on the cluster.
func startBuild(t *testing.T, c *Cluster, p Project, jobs int) (*DmakeRun, time.Time) {
	t.Helper()
	if err := p.Fresh(); err != nil {
		t.Fatal(err)
	}
	since := time.Now()
	return c.StartDmake(t, p.BuildDir(), append([]string{fmt.Sprintf("-j%d", jobs)}, p.Args...)...), since
}

// setup is the start of every build scenario.
func setup(t *testing.T, overrides ...string) (*Cluster, Project, string) {
	t.Helper()
	p := currentProject(t)
	c := startCluster(t, overrides...)
	requireClusterDmake(t, c)
	ref := p.Reference(t)
	return c, p, ref
}
