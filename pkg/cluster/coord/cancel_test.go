package coord_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dmake/dmake/pkg/cluster"
	"github.com/dmake/dmake/pkg/cluster/client"
	pb "github.com/dmake/dmake/pkg/cluster/proto"
)

// TestCancelKillsRecipes: cancelling a build kills its running recipes on
// the workers and starts nothing more; the build ends "cancelled".
func TestCancelKillsRecipes(t *testing.T) {
	nodes := startNodes(t, 1)
	waitFor(t, "a leader", 30*time.Second, func() bool { return leaderOf(nodes) != nil })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	startWorker(t, ctx, "w1", addrs(nodes))
	cl := client.New(addrs(nodes))
	defer cl.Close()
	dir := t.TempDir()
	spec := cluster.BuildSpec{ID: "c", Dir: dir}
	for i := range 6 {
		spec.Steps = append(spec.Steps, cluster.StepSpec{Target: "t", Payload: []byte("sleep 60 & echo $! > pid." + strconv.Itoa(i) + "; wait")})
	}
	if err := cl.Submit(ctx, spec); err != nil {
		t.Fatal(err)
	}
	var pids []int
	waitFor(t, "four recipes to run", 20*time.Second, func() bool {
		pids = pids[:0]
		files, _ := filepath.Glob(filepath.Join(dir, "pid.*"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			if p, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				pids = append(pids, p)
			}
		}
		return len(pids) == 4 // the worker has 4 slots
	})
	if err := cl.Cancel(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if st, _ := follow(t, cl, "c"); st != "cancelled" {
		t.Fatalf("status %s", st)
	}
	for _, p := range pids {
		waitFor(t, "recipe processes to die", 10*time.Second, func() bool { return syscall.Kill(p, 0) != nil })
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "pid.*")); len(files) != 4 {
		t.Fatalf("%d recipes started; want only the 4 running at the cancel", len(files))
	}
}

// TestEventsResume: a client that stops following a build and comes back
// from the last event it saw gets the rest, nothing missed or repeated.
func TestEventsResume(t *testing.T) {
	nodes := startNodes(t, 1)
	waitFor(t, "a leader", 30*time.Second, func() bool { return leaderOf(nodes) != nil })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	startWorker(t, ctx, "w1", addrs(nodes))
	cl := client.New(addrs(nodes))
	defer cl.Close()
	if err := cl.Submit(ctx, chainBuild("r", t.TempDir(), 20)); err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	stop := errors.New("client went away")
	last, err := cl.Events(ctx, "r", 1, func(e *pb.Event) error {
		seqs = append(seqs, e.Seq)
		if len(seqs) == 7 {
			return stop
		}
		return nil
	})
	if err != stop || last != 7 {
		t.Fatalf("first pass: last %d, err %v", last, err)
	}
	if _, err := cl.Events(ctx, "r", last+1, func(e *pb.Event) error {
		seqs = append(seqs, e.Seq)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i, s := range seqs {
		if s != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, s)
		}
	}
	if len(seqs) < 20*3 {
		t.Fatalf("only %d events", len(seqs))
	}
}

// TestAddStepsWhileRunning: steps added while a step runs (a recursive make
// joining the build) are scheduled, and the build waits for them.
func TestAddStepsWhileRunning(t *testing.T) {
	nodes := startNodes(t, 1)
	waitFor(t, "a leader", 30*time.Second, func() bool { return leaderOf(nodes) != nil })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	startWorker(t, ctx, "w1", addrs(nodes))
	cl := client.New(addrs(nodes))
	defer cl.Close()
	dir := t.TempDir()
	spec := cluster.BuildSpec{ID: "rec", Dir: dir, Steps: []cluster.StepSpec{
		{Target: "sub", Payload: []byte("touch started; sleep 1")},
	}}
	if err := cl.Submit(ctx, spec); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first step to run", 20*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(dir, "started"))
		return err == nil
	})
	add := []cluster.StepSpec{
		{Target: "sub/a", Payload: []byte("echo a > a")},
		{Target: "sub/all", Deps: []int{-1}, Payload: []byte("cat a > all")},
	}
	first, err := cl.AddSteps(ctx, "rec", "sub/1", add)
	if err != nil || first != 1 {
		t.Fatalf("first %d, err %v", first, err)
	}
	if again, err := cl.AddSteps(ctx, "rec", "sub/1", add); err != nil || again != 1 {
		t.Fatalf("repeat: %d, %v", again, err)
	}
	targets := map[string]bool{}
	if _, err := cl.Events(ctx, "rec", 1, func(e *pb.Event) error {
		if e.Kind == pb.Event_STEP_FINISHED {
			targets[e.Target] = e.Status == "succeeded"
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !targets["sub"] || !targets["sub/a"] || !targets["sub/all"] || len(targets) != 3 {
		t.Fatalf("finished targets %v", targets)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "all")); err != nil || string(b) != "a\n" {
		t.Fatalf("all: %q %v", b, err)
	}
}
