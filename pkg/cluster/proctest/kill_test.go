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

// followBuild records a build's events in the background. onEvent, if not
// nil, sees each event first.
func followBuild(t testing.TB, tc *testCluster, id string, onEvent func(*pb.Event)) (wait func() *record) {
	rec := newRecord()
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		_, err := tc.cl.Events(ctx, id, 1, func(e *pb.Event) error {
			if onEvent != nil {
				onEvent(e)
			}
			rec.add(e)
			return nil
		})
		done <- err
	}()
	return func() *record {
		if err := <-done; err != nil {
			t.Fatalf("events: %v", err)
		}
		return rec
	}
}

// TestWorkerKilledMidBuild: 3 coordinators, 3 workers, 220 steps. A worker
// is SIGKILLed while it runs steps. The build succeeds; the steps it lost
// ran again on other workers; no result of a dead attempt was accepted; no
// step ran on two workers at once.
func TestWorkerKilledMidBuild(t *testing.T) {
	tc := newCluster(t, 3, 3, 6)
	dir := t.TempDir()
	alog := filepath.Join(dir, "attempts.log")
	const n = 220
	spec := fanBuild("kill-worker", dir, alog, n, "0.3")

	victim := tc.workers[1]
	var once sync.Once
	killedAt := map[string]int64{}
	var mu sync.Mutex
	finished := 0
	wait := followBuild(t, tc, spec.ID, func(e *pb.Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.Kind == pb.Event_STEP_FINISHED {
			finished++
		}
		// Kill once the build is well under way and the victim runs something.
		if e.Kind == pb.Event_STEP_STARTED && e.Worker == victim.name && finished >= 40 {
			once.Do(func() {
				victim.signal(t, syscall.SIGKILL)
				killedAt[victim.name] = monotonic()
			})
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := tc.cl.Submit(ctx, spec); err != nil {
		t.Fatal(err)
	}
	rec := wait()
	if len(killedAt) == 0 {
		t.Fatal("the victim was never killed")
	}
	checkBuild(t, rec, dir, n)

	lostSteps := 0
	for step, lost := range rec.lost {
		for _, l := range lost {
			if l.Worker != victim.name {
				t.Errorf("step %d lost on %s, which was not killed", step, l.Worker)
			}
		}
		fin := rec.finished[step][0]
		if fin.Worker == victim.name || fin.Attempt <= lost[len(lost)-1].Attempt {
			t.Errorf("step %d: lost attempt %d, then accepted attempt %d on %s", step, lost[len(lost)-1].Attempt, fin.Attempt, fin.Worker)
		}
		lostSteps++
	}
	if lostSteps == 0 {
		t.Fatal("no step was lost with the killed worker")
	}
	for step, fins := range rec.finished {
		if fins[0].Worker == victim.name && fins[0].TimeUnixMs > 0 {
			// Allowed only for results committed before the kill; those
			// steps were not lost, so they were never started again.
			if len(rec.started[step]) != 1 {
				t.Errorf("step %d finished on the killed worker after a restart", step)
			}
		}
	}
	checkNoOverlap(t, readAttemptLog(t, alog), killedAt)
	t.Logf("%d steps were lost with %s and ran again elsewhere", lostSteps, victim.name)
}
