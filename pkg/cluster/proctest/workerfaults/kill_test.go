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

// TestWorkerKilledMidBuild: 3 coordinators, 3 workers, 220 steps. A worker
// is SIGKILLed while it runs steps. The build succeeds; the steps it lost
// ran again on other workers; no result of a dead attempt was accepted; no
// step ran on two workers at once.
func TestWorkerKilledMidBuild(t *testing.T) {
	tc := harness.NewCluster(t, 3, 3, 6)
	dir := t.TempDir()
	alog := filepath.Join(dir, "attempts.log")
	const n = 220
	spec := harness.FanBuild("kill-worker", dir, alog, n, "0.3")

	victim := tc.Workers[1]
	var once sync.Once
	killedAt := map[string]int64{}
	var mu sync.Mutex
	finished := 0
	wait := harness.FollowBuild(t, tc, spec.ID, func(e *pb.Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.Kind == pb.Event_STEP_FINISHED {
			finished++
		}
		// Kill once the build is well under way and the victim runs something.
		if e.Kind == pb.Event_STEP_STARTED && e.Worker == victim.Name && finished >= 40 {
			once.Do(func() {
				victim.Signal(t, syscall.SIGKILL)
				killedAt[victim.Name] = harness.Monotonic()
			})
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := tc.Cl.Submit(ctx, spec); err != nil {
		t.Fatal(err)
	}
	rec := wait()
	if len(killedAt) == 0 {
		t.Fatal("the victim was never killed")
	}
	harness.CheckBuild(t, rec, dir, n)

	lostSteps := 0
	for step, lost := range rec.Lost {
		for _, l := range lost {
			if l.Worker != victim.Name {
				t.Errorf("step %d lost on %s, which was not killed", step, l.Worker)
			}
		}
		fin := rec.Finished[step][0]
		if fin.Worker == victim.Name || fin.Attempt <= lost[len(lost)-1].Attempt {
			t.Errorf("step %d: lost attempt %d, then accepted attempt %d on %s", step, lost[len(lost)-1].Attempt, fin.Attempt, fin.Worker)
		}
		lostSteps++
	}
	if lostSteps == 0 {
		t.Fatal("no step was lost with the killed worker")
	}
	for step, fins := range rec.Finished {
		if fins[0].Worker == victim.Name && fins[0].TimeUnixMs > 0 {
			// Allowed only for results committed before the kill; those
			// steps were not lost, so they were never started again.
			if len(rec.Started[step]) != 1 {
				t.Errorf("step %d finished on the killed worker after a restart", step)
			}
		}
	}
	harness.CheckNoOverlap(t, harness.ReadAttemptLog(t, alog), killedAt)
	t.Logf("%d steps were lost with %s and ran again elsewhere", lostSteps, victim.Name)
}
