package proctest

import (
	"context"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	pb "github.com/dmake/dmake/pkg/cluster/proto"
)

// TestWorkerSIGTERMDrains: SIGTERM on a worker mid-build drains it: it
// takes no new steps, finishes the ones it runs (accepted, not lost), and
// exits 0; the build succeeds on the others.
func TestWorkerSIGTERMDrains(t *testing.T) {
	tc := newCluster(t, 1, 3, 6)
	dir := t.TempDir()
	alog := filepath.Join(dir, "attempts.log")
	const n = 200
	spec := fanBuild("sigterm", dir, alog, n, "0.3")
	victim := tc.workers[0]
	var once sync.Once
	var mu sync.Mutex
	finished := 0
	var termAt time.Time
	wait := followBuild(t, tc, spec.ID, func(e *pb.Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.Kind == pb.Event_STEP_FINISHED {
			finished++
		}
		if e.Kind == pb.Event_STEP_STARTED && e.Worker == victim.name && finished >= 30 {
			once.Do(func() {
				victim.signal(t, syscall.SIGTERM)
				termAt = time.Now()
			})
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := tc.cl.Submit(ctx, spec); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-victim.exited:
		if err != nil {
			t.Fatalf("drained worker exited with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the worker did not exit after SIGTERM")
	}
	rec := wait()
	checkBuild(t, rec, dir, n)
	if len(rec.lost) != 0 {
		t.Fatalf("steps lost during a drain: %v", rec.lost)
	}
	// Steps started on the victim well after the SIGTERM (the drain is
	// committed within a second) would mean it took new work.
	late := 0
	for _, st := range rec.started {
		for _, e := range st {
			if e.Worker == victim.name && time.UnixMilli(e.TimeUnixMs).After(termAt.Add(2*time.Second)) {
				late++
			}
		}
	}
	if late > 0 {
		t.Fatalf("%d steps started on the draining worker", late)
	}
	checkNoOverlap(t, readAttemptLog(t, alog), nil)
}
