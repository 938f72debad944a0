package workerfaults

import (
	"context"
	"github.com/dmake/dmake/pkg/cluster/proctest/harness"
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
	tc := harness.NewCluster(t, 1, 3, 6)
	dir := t.TempDir()
	alog := filepath.Join(dir, "attempts.log")
	const n = 200
	spec := harness.FanBuild("sigterm", dir, alog, n, "0.3")
	victim := tc.Workers[0]
	var once sync.Once
	var mu sync.Mutex
	finished := 0
	var termAt time.Time
	wait := harness.FollowBuild(t, tc, spec.ID, func(e *pb.Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.Kind == pb.Event_STEP_FINISHED {
			finished++
		}
		if e.Kind == pb.Event_STEP_STARTED && e.Worker == victim.Name && finished >= 30 {
			once.Do(func() {
				victim.Signal(t, syscall.SIGTERM)
				termAt = time.Now()
			})
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := tc.Cl.Submit(ctx, spec); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-victim.Exited:
		if err != nil {
			t.Fatalf("drained worker exited with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the worker did not exit after SIGTERM")
	}
	rec := wait()
	harness.CheckBuild(t, rec, dir, n)
	if len(rec.Lost) != 0 {
		t.Fatalf("steps lost during a drain: %v", rec.Lost)
	}
	// Steps started on the victim well after the SIGTERM (the drain is
	// committed within a second) would mean it took new work.
	late := 0
	for _, st := range rec.Started {
		for _, e := range st {
			if e.Worker == victim.Name && time.UnixMilli(e.TimeUnixMs).After(termAt.Add(2*time.Second)) {
				late++
			}
		}
	}
	if late > 0 {
		t.Fatalf("%d steps started on the draining worker", late)
	}
	harness.CheckNoOverlap(t, harness.ReadAttemptLog(t, alog), nil)
}
