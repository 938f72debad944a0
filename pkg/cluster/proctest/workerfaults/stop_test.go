package workerfaults

import (
	"context"
	"github.com/dmake/dmake/pkg/cluster/proctest/harness"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dmake/dmake/pkg/cluster"
	pb "github.com/dmake/dmake/pkg/cluster/proto"
)

// TestWorkerStoppedPastLease: SIGSTOP a worker mid-build for longer than its
// lease plus grace, then SIGCONT it. Its unfinished steps are requeued and
// run elsewhere; when it wakes, its session has ended, so it reports none of
// its old results, registers again, and takes new work.
func TestWorkerStoppedPastLease(t *testing.T) {
	tc := harness.NewCluster(t, 3, 3, 6)
	dir := t.TempDir()
	alog := filepath.Join(dir, "attempts.log")
	const n = 220
	spec := harness.FanBuild("stop-worker", dir, alog, n, "0.3")

	victim := tc.Workers[2]
	var once sync.Once
	var mu sync.Mutex
	finished := 0
	resumed := make(chan struct{})
	wait := harness.FollowBuild(t, tc, spec.ID, func(e *pb.Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.Kind == pb.Event_STEP_FINISHED {
			finished++
		}
		if e.Kind == pb.Event_STEP_STARTED && e.Worker == victim.Name && finished >= 40 {
			once.Do(func() {
				victim.Signal(t, syscall.SIGSTOP)
				go func() {
					time.Sleep(5 * time.Second) // lease 2s + grace 1s, and some
					_ = victim.Cmd.Process.Signal(syscall.SIGCONT)
					close(resumed)
				}()
			})
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := tc.Cl.Submit(ctx, spec); err != nil {
		t.Fatal(err)
	}
	rec := wait()
	harness.CheckBuild(t, rec, dir, n)
	lost := 0
	for step, ls := range rec.Lost {
		for _, l := range ls {
			if l.Worker != victim.Name {
				t.Errorf("step %d lost on %s", step, l.Worker)
			}
		}
		if fin := rec.Finished[step][0]; fin.Worker == victim.Name {
			t.Errorf("step %d: lost on %s and then accepted from it", step, victim.Name)
		}
		lost++
	}
	if lost == 0 {
		t.Fatal("no step was requeued from the stopped worker")
	}
	harness.CheckNoOverlap(t, harness.ReadAttemptLog(t, alog), nil)

	// The woken worker finds its session ended, registers a new one, and
	// runs new work.
	<-resumed
	deadline := time.Now().Add(30 * time.Second)
	for {
		ws, err := tc.Cl.Workers(ctx)
		ready := false
		for _, w := range ws {
			ready = ready || (err == nil && w.Id == victim.Name && w.Status == "ready")
		}
		if ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("woken worker not back: %v %v", ws, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	spec2 := cluster.BuildSpec{ID: "after-wake", Dir: t.TempDir(), Options: cluster.Options{Jobs: 30}}
	for range 30 {
		spec2.Steps = append(spec2.Steps, cluster.StepSpec{Target: "x", Payload: []byte("sleep 0.2")})
	}
	wait2 := harness.FollowBuild(t, tc, spec2.ID, nil)
	if err := tc.Cl.Submit(ctx, spec2); err != nil {
		t.Fatal(err)
	}
	rec2 := wait2()
	if rec2.Status != "succeeded" {
		t.Fatalf("second build %s", rec2.Status)
	}
	ran := false
	for _, fs := range rec2.Finished {
		ran = ran || fs[0].Worker == victim.Name
	}
	if !ran {
		t.Errorf("the woken worker got none of the second build's 30 steps")
	}
	t.Logf("%d steps requeued from the stopped worker", lost)
}

// TestPoisonStep: a recipe that kills the worker running it, every time.
// After three losses the step fails the build with an error naming the
// three workers, and the build ends.
func TestPoisonStep(t *testing.T) {
	tc := harness.NewCluster(t, 1, 3, 2)
	spec := cluster.BuildSpec{ID: "poison", Dir: t.TempDir(), Steps: []cluster.StepSpec{
		// $PPID is ShellRunner's guard shell; its parent is the worker.
		{Target: "killer", Payload: []byte("read -r _ _ _ worker _ < /proc/$PPID/stat; kill -KILL $worker; sleep 5")},
	}}
	wait := harness.FollowBuild(t, tc, spec.ID, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := tc.Cl.Submit(ctx, spec); err != nil {
		t.Fatal(err)
	}
	rec := wait()
	if rec.Status != "failed" {
		t.Fatalf("build %s", rec.Status)
	}
	fin := rec.Finished[0]
	if len(fin) != 1 || fin[0].Status != "poisoned" {
		t.Fatalf("finished %v", fin)
	}
	for _, w := range []string{"w1", "w2", "w3"} {
		if !strings.Contains(fin[0].Message, w) {
			t.Errorf("message %q does not name %s", fin[0].Message, w)
		}
	}
	if len(rec.Lost[0]) != 3 {
		t.Errorf("lost %d times", len(rec.Lost[0]))
	}
	t.Log(fin[0].Message)
}
