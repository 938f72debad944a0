package leaderfaults

import (
	"context"
	"fmt"
	"github.com/dmake/dmake/pkg/cluster/proctest/harness"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dmake/dmake/pkg/cluster"
	pb "github.com/dmake/dmake/pkg/cluster/proto"
)

// longBuild is n independent steps that each sleep secs.
func longBuild(id string, n int, secs string) cluster.BuildSpec {
	spec := cluster.BuildSpec{ID: id, Dir: "/"}
	for i := range n {
		spec.Steps = append(spec.Steps, cluster.StepSpec{Target: fmt.Sprint(i), Priority: int64(i), Payload: []byte("sleep " + secs)})
	}
	return spec
}

// BenchmarkWorkerLossToRerun: 3 coordinators, 4 workers (lease 2s, grace
// 1s). SIGKILL a worker running steps; report the seconds until the first
// of its steps starts on another worker. Bounded below by lease + grace.
func BenchmarkWorkerLossToRerun(b *testing.B) {
	for i := range b.N {
		tc := harness.NewCluster(b, 3, 4, 2)
		victim := tc.Workers[0]
		var mu sync.Mutex
		var killedAt time.Time
		onVictim := map[int32]bool{}
		rerun := make(chan time.Duration, 1)
		var once sync.Once
		wait := harness.FollowBuild(b, tc, fmt.Sprintf("loss-%d", i), func(e *pb.Event) {
			mu.Lock()
			defer mu.Unlock()
			if e.Kind != pb.Event_STEP_STARTED {
				return
			}
			switch {
			case killedAt.IsZero() && e.Worker == victim.Name:
				onVictim[e.Step] = true
				victim.Signal(b, syscall.SIGKILL)
				killedAt = time.Now()
			case !killedAt.IsZero() && onVictim[e.Step]:
				once.Do(func() { rerun <- time.Since(killedAt) })
			}
		})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if err := tc.Cl.Submit(ctx, longBuild(fmt.Sprintf("loss-%d", i), 8, "1")); err != nil {
			b.Fatal(err)
		}
		d := <-rerun
		wait()
		cancel()
		b.ReportMetric(d.Seconds(), "s-to-rerun")
	}
}

// BenchmarkLeaderLossToDispatch: 3 coordinators, 4 workers. SIGKILL the
// leader mid-build; report the seconds until a new leader dispatches a step
// (the leader-stamped time of the first STEP_STARTED after the kill).
func BenchmarkLeaderLossToDispatch(b *testing.B) {
	for i := range b.N {
		tc := harness.NewCluster(b, 3, 4, 2, "--worker-ttl", "4s", "--worker-grace", "2s")
		old := tc.Leader()
		var mu sync.Mutex
		var killedAt time.Time
		started := 0
		next := make(chan time.Duration, 1)
		var once sync.Once
		id := fmt.Sprintf("leader-%d", i)
		wait := harness.FollowBuild(b, tc, id, func(e *pb.Event) {
			mu.Lock()
			defer mu.Unlock()
			if e.Kind != pb.Event_STEP_STARTED {
				return
			}
			started++
			if started == 20 && killedAt.IsZero() {
				old.Signal(b, syscall.SIGKILL)
				killedAt = time.Now()
			} else if !killedAt.IsZero() && time.UnixMilli(e.TimeUnixMs).After(killedAt) {
				once.Do(func() { next <- time.UnixMilli(e.TimeUnixMs).Sub(killedAt) })
			}
		})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if err := tc.Cl.Submit(ctx, longBuild(id, 200, "0.1")); err != nil {
			b.Fatal(err)
		}
		d := <-next
		wait()
		cancel()
		b.ReportMetric(d.Seconds(), "s-to-dispatch")
	}
}
