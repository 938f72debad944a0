package main

import (
	"bytes"
	"context"
	"fmt"
	"github.com/dmake/dmake/pkg/cluster/proctest/harness"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// clusterBins builds dmake and dmaked for the cluster tests. dmake is
// returned as a link named "make", so its messages read as GNU make's do.
func clusterBins(t *testing.T) (dmake, dmaked string) {
	t.Helper()
	dir := t.TempDir()
	for _, p := range []string{"dmake", "dmaked"} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, p), "github.com/dmake/dmake/cmd/"+p).CombinedOutput()
		if err != nil {
			t.Fatalf("build %s: %v\n%s", p, err, out)
		}
	}
	asMake := filepath.Join(dir, "bin", "make")
	os.MkdirAll(filepath.Dir(asMake), 0o755)
	if err := os.Symlink(filepath.Join(dir, "dmake"), asMake); err != nil {
		t.Fatal(err)
	}
	return asMake, filepath.Join(dir, "dmaked")
}

// startDev runs "dmaked dev" (a one-node coordinator and local workers) and
// waits until it has workers.
func startDev(t *testing.T, dmake, dmaked string, workers int) string {
	t.Helper()
	addr, raft := harness.FreeAddr(t), harness.FreeAddr(t)
	cmd := exec.Command(dmaked, "dev", "--workers", fmt.Sprint(workers), "--slots", "2", "--bind", addr, "--raft-bind", raft, "--data-dir", t.TempDir())
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("dmaked dev log:\n%s", log.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		out, _ := exec.Command(dmake, "cluster", "workers", "--cluster", addr).Output()
		if strings.Count(string(out), "ready") >= workers {
			return addr
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("dmaked dev did not get %d ready workers", workers)
	return ""
}

const clusterMakefile = `
OBJS := $(patsubst %.c,%.o,$(wildcard *.c))
all: prog report
prog: $(OBJS)
	@echo linking $@
	cat $^ > $@
%.o: %.c
	@echo "compiling $< with [$(FLAGS)]"
	sed 's/^/obj:/' $< > $@
b.o: FLAGS = -special
report: prog
	@echo objects: $(wildcard *.o)
	wc -l < prog > $@
`

func runIn(t *testing.T, dir, bin string, env []string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Args[0] = filepath.Base(bin)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	return string(out), code
}

// cleanEnv is this process's environment without the variables a make
// running the tests would have set for us.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "GNUMAKEFLAGS", "MAKEFILES", "DMAKE_CLUSTER":
			continue
		}
		env = append(env, kv)
	}
	return env
}

func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		files[e.Name()] = string(b)
	}
	return files
}

func project(t *testing.T) string {
	dir := t.TempDir()
	files := map[string]string{"Makefile": clusterMakefile, "a.c": "alpha\n", "b.c": "beta\n", "c.c": "gamma\n"}
	for n, c := range files {
		os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644)
	}
	return dir
}

func sortedLines(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	sort.Strings(l)
	return strings.Join(l, "\n")
}

// TestClusterBuildMatchesMake runs the same build with GNU make, with local
// dmake and with dmake --cluster against a real dmaked (coordinator and
// workers in another process): same files, same output (at -j1, in the
// same order), same exit status; a second run does nothing; a failing
// recipe fails the cluster build with make's message and status.
func TestClusterBuildMatchesMake(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("GNU make not installed")
	}
	dmake, dmaked := clusterBins(t)
	addr := startDev(t, dmake, dmaked, 2)

	ref := project(t)
	refOut, refCode := runIn(t, ref, "make", nil, "-j1")
	cl := project(t)
	clOut, clCode := runIn(t, cl, dmake, []string{"DMAKE_CLUSTER=" + addr}, "-j1")
	if clCode != refCode || clOut != refOut {
		t.Fatalf("cluster build differs from make:\nmake (%d):\n%s\ndmake --cluster (%d):\n%s", refCode, refOut, clCode, clOut)
	}
	if a, b := snapshot(t, cl), snapshot(t, ref); fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("files differ:\ncluster %v\nmake    %v", a, b)
	}

	out, code := runIn(t, cl, dmake, nil, "--cluster", addr, "-j4")
	refOut2, _ := runIn(t, ref, "make", nil, "-j4")
	if code != 0 || out != refOut2 {
		t.Fatalf("second run: got (%d) %q, make says %q", code, out, refOut2)
	}

	// -j4 from clean: order may differ, lines may not.
	cl4, ref4 := project(t), project(t)
	o4, c4 := runIn(t, cl4, dmake, nil, "--cluster", addr, "-j4")
	r4, rc4 := runIn(t, ref4, "make", nil, "-j4")
	if c4 != rc4 || sortedLines(o4) != sortedLines(r4) {
		t.Fatalf("-j4: cluster (%d)\n%s\nmake (%d)\n%s", c4, o4, rc4, r4)
	}

	// A $(MAKE) in a recipe on a worker runs its own steps on the cluster;
	// its output, Entering/Leaving lines included, is make's.
	recMk := "all:\n\t@echo top\n\t$(MAKE) -C sub\n\t@echo back\n"
	subMk := "all: x.out\n\t@echo sub done\nx.out:\n\techo sub > $@\n"
	rec, recRef := project(t), project(t)
	for _, d := range []string{rec, recRef} {
		os.Mkdir(filepath.Join(d, "sub"), 0o755)
		os.WriteFile(filepath.Join(d, "Makefile"), []byte(recMk), 0o644)
		os.WriteFile(filepath.Join(d, "sub", "Makefile"), []byte(subMk), 0o644)
	}
	// Both run as "make" found on PATH, so $(MAKE) reads the same.
	path := []string{"PATH=" + filepath.Dir(dmake) + ":" + os.Getenv("PATH")}
	ro1, rc1 := runIn(t, rec, dmake, path, "--cluster", addr, "-j2")
	ro2, rc2 := runIn(t, recRef, "make", nil, "-j2")
	ro2 = strings.ReplaceAll(ro2, recRef, rec)
	if rc1 != rc2 || ro1 != ro2 {
		t.Fatalf("recursive make: cluster (%d)\n%s\nmake (%d)\n%s", rc1, ro1, rc2, ro2)
	}

	bad := project(t)
	os.WriteFile(filepath.Join(bad, "Makefile"), []byte("all:\n\t@echo before\n\t@exit 3\n\t@echo after\n"), 0o644)
	ref2 := project(t)
	os.WriteFile(filepath.Join(ref2, "Makefile"), []byte("all:\n\t@echo before\n\t@exit 3\n\t@echo after\n"), 0o644)
	bo, bc := runIn(t, bad, dmake, nil, "--cluster", addr)
	ro, rc := runIn(t, ref2, "make", nil)
	if bc != rc || bo != ro {
		t.Fatalf("failing recipe: cluster (%d) %q, make (%d) %q", bc, bo, rc, ro)
	}
	// Standard output and standard error stay apart, as with make.
	split := func(dir, bin string, args ...string) (string, string) {
		cmd := exec.Command(bin, args...)
		cmd.Args[0] = filepath.Base(bin)
		cmd.Dir, cmd.Env = dir, cleanEnv()
		var so, se bytes.Buffer
		cmd.Stdout, cmd.Stderr = &so, &se
		cmd.Run()
		return so.String(), se.String()
	}
	cso, cse := split(bad, dmake, "--cluster", addr)
	rso, rse := split(ref2, "make")
	if cso != rso || cse != rse {
		t.Fatalf("streams differ: cluster stdout %q stderr %q; make stdout %q stderr %q", cso, cse, rso, rse)
	}
}

// TestClusterInterruptCancelsBuild sends SIGINT to dmake --cluster while
// recipes run: the build is cancelled on the cluster, its recipes killed
// (they never write their targets), and dmake fails.
func TestClusterInterruptCancelsBuild(t *testing.T) {
	dmake, dmaked := clusterBins(t)
	addr := startDev(t, dmake, dmaked, 2)
	dir := t.TempDir()
	mk := "all: a b c\na b c:\n\t@echo start $@ >> started\n\t@sleep 5\n\t@echo done > $@\n"
	os.WriteFile(filepath.Join(dir, "Makefile"), []byte(mk), 0o644)
	cmd := exec.Command(dmake, "--cluster", addr, "-j3")
	cmd.Dir = dir
	cmd.Env = cleanEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(dir, "started"))
		if strings.Count(string(b), "start") == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("recipes never started:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if err == nil {
		t.Fatalf("dmake succeeded after an interrupt:\n%s", out.String())
	}
	builds, _ := exec.Command(dmake, "cluster", "builds", "--cluster", addr).Output()
	if !strings.Contains(string(builds), "cancelled") {
		t.Fatalf("build not cancelled on the cluster:\n%s", builds)
	}
	time.Sleep(6 * time.Second) // past the recipes' sleep: a survivor would write now
	for _, f := range []string{"a", "b", "c"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Fatalf("recipe for %s went on after the cancel", f)
		}
	}
}
