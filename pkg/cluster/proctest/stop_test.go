package proctest

import (
	"context"
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
	tc := newCluster(t, 3, 3, 6)
	dir := t.TempDir()
	alog := filepath.Join(dir, "attempts.log")
	const n = 220
	spec := fanBuild("stop-worker", dir, alog, n, "0.3")

	victim := tc.workers[2]
	var once sync.Once
	var mu sync.Mutex
	finished := 0
	resumed := make(chan struct{})
	wait := followBuild(t, tc, spec.ID, func(e *pb.Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.Kind == pb.Event_STEP_FINISHED {
			finished++
		}
		if e.Kind == pb.Event_STEP_STARTED && e.Worker == victim.name && finished >= 40 {
			once.Do(func() {
				victim.signal(t, syscall.SIGSTOP)
				go func() {
					time.Sleep(5 * time.Second) // lease 2s + grace 1s, and some
					_ = victim.cmd.Process.Signal(syscall.SIGCONT)
					close(resumed)
				}()
			})
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := tc.cl.Submit(ctx, spec); err != nil {
		t.Fatal(err)
	}
	rec := wait()
	checkBuild(t, rec, dir, n)
	lost := 0
	for step, ls := range rec.lost {
		for _, l := range ls {
			if l.Worker != victim.name {
				t.Errorf("step %d lost on %s", step, l.Worker)
			}
		}
		if fin := rec.finished[step][0]; fin.Worker == victim.name {
			t.Errorf("step %d: lost on %s and then accepted from it", step, victim.name)
		}
		lost++
	}
	if lost == 0 {
		t.Fatal("no step was requeued from the stopped worker")
	}
	checkNoOverlap(t, readAttemptLog(t, alog), nil)

	// The woken worker registers a new session and runs new work.
	<-resumed
	spec2 := cluster.BuildSpec{ID: "after-wake", Dir: t.TempDir(), Options: cluster.Options{Jobs: 30}}
	for range 30 {
		spec2.Steps = append(spec2.Steps, cluster.StepSpec{Target: "x", Payload: []byte("sleep 0.2")})
	}
	wait2 := followBuild(t, tc, spec2.ID, nil)
	if err := tc.cl.Submit(ctx, spec2); err != nil {
		t.Fatal(err)
	}
	rec2 := wait2()
	if rec2.status != "succeeded" {
		t.Fatalf("second build %s", rec2.status)
	}
	ran := false
	for _, fs := range rec2.finished {
		ran = ran || fs[0].Worker == victim.name
	}
	ws, err := tc.cl.Workers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if w.Id == victim.name && w.Status != "ready" {
			t.Errorf("woken worker is %s", w.Status)
		}
	}
	if !ran {
		t.Logf("note: the woken worker got none of the second build's 30 steps")
	}
	t.Logf("%d steps requeued from the stopped worker", lost)
}

// TestPoisonStep: a recipe that kills the worker running it, every time.
// After three losses the step fails the build with an error naming the
// three workers, and the build ends.
func TestPoisonStep(t *testing.T) {
	tc := newCluster(t, 1, 3, 2)
	spec := cluster.BuildSpec{ID: "poison", Dir: t.TempDir(), Steps: []cluster.StepSpec{
		// $PPID is ShellRunner's guard shell; its parent is the worker.
		{Target: "killer", Payload: []byte("read -r _ _ _ worker _ < /proc/$PPID/stat; kill -KILL $worker; sleep 5")},
	}}
	wait := followBuild(t, tc, spec.ID, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := tc.cl.Submit(ctx, spec); err != nil {
		t.Fatal(err)
	}
	rec := wait()
	if rec.status != "failed" {
		t.Fatalf("build %s", rec.status)
	}
	fin := rec.finished[0]
	if len(fin) != 1 || fin[0].Status != "poisoned" {
		t.Fatalf("finished %v", fin)
	}
	for _, w := range []string{"w1", "w2", "w3"} {
		if !strings.Contains(fin[0].Message, w) {
			t.Errorf("message %q does not name %s", fin[0].Message, w)
		}
	}
	if len(rec.lost[0]) != 3 {
		t.Errorf("lost %d times", len(rec.lost[0]))
	}
	t.Log(fin[0].Message)
}
