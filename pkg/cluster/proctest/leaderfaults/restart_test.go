package leaderfaults

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

// TestAllCoordinatorsRestart: SIGKILL every coordinator mid-build, leave
// them down longer than the worker lease (so workers fence themselves), and
// restart them from their data directories. The build, its steps and its
// workers' sessions come back from disk and the build succeeds.
func TestAllCoordinatorsRestart(t *testing.T) {
	tc := harness.NewCluster(t, 3, 3, 6)
	dir := t.TempDir()
	alog := filepath.Join(dir, "attempts.log")
	const n = 200
	spec := harness.FanBuild("restart-all", dir, alog, n, "0.3")

	var once sync.Once
	var mu sync.Mutex
	finished := 0
	var restartedAt int64
	restarted := make(chan struct{})
	wait := harness.FollowBuild(t, tc, spec.ID, func(e *pb.Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.Kind == pb.Event_STEP_FINISHED {
			finished++
		}
		if finished >= 40 {
			once.Do(func() {
				for _, p := range tc.Coords {
					p.Signal(t, syscall.SIGKILL)
				}
				go func() {
					time.Sleep(3 * time.Second) // past the 2s worker lease
					restartedAt = harness.Monotonic()
					for _, p := range tc.Coords {
						p.Start(t)
					}
					close(restarted)
				}()
			})
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := tc.Cl.Submit(ctx, spec); err != nil {
		t.Fatal(err)
	}
	rec := wait()
	<-restarted
	harness.CheckBuild(t, rec, dir, n)
	// Attempts killed by their workers' self-fencing ended before the
	// coordinators came back.
	killed := map[string]int64{}
	for _, w := range tc.Workers {
		killed[w.Name] = restartedAt
	}
	harness.CheckNoOverlap(t, harness.ReadAttemptLog(t, alog), killed)
	lost := 0
	for _, l := range rec.Lost {
		lost += len(l)
	}
	t.Logf("%d attempts were fenced by their workers and run again", lost)
}
