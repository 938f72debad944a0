package leaderfaults

import (
	"context"
	"fmt"
	"github.com/dmake/dmake/pkg/cluster/proctest/harness"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	pb "github.com/dmake/dmake/pkg/cluster/proto"
)

// TestLeaderKilledMidBuild: SIGKILL the leading coordinator mid-build. The
// build succeeds under a new leader, every step's result is accepted exactly
// once, and the client, which reconnects on its own, sees every step's output
// once.
func TestLeaderKilledMidBuild(t *testing.T) {
	// A worker lease longer than an election, so workers keep their steps.
	tc := harness.NewCluster(t, 3, 3, 6, "--worker-ttl", "4s", "--worker-grace", "2s")
	dir := t.TempDir()
	alog := filepath.Join(dir, "attempts.log")
	const n = 220
	spec := harness.FanBuild("kill-leader", dir, alog, n, "0.3")

	old := tc.Leader()
	var once sync.Once
	var mu sync.Mutex
	finished := 0
	wait := harness.FollowBuild(t, tc, spec.ID, func(e *pb.Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.Kind == pb.Event_STEP_FINISHED {
			finished++
		}
		if finished >= 40 {
			once.Do(func() { old.Signal(t, syscall.SIGKILL) })
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := tc.Cl.Submit(ctx, spec); err != nil {
		t.Fatal(err)
	}
	rec := wait()
	harness.CheckBuild(t, rec, dir, n)
	if now := tc.Leader(); now == old {
		t.Fatalf("leader still %s", old.Name)
	}
	for step := range int32(n) {
		acc := rec.Finished[step][0].Attempt
		var got string
		for _, e := range rec.Outputs[step] {
			if e.Attempt == acc {
				got += string(e.Data)
			}
		}
		if want := fmt.Sprintf("built %d\n", step); got != want {
			t.Errorf("step %d: output %q, want %q", step, got, want)
		}
	}
	harness.CheckNoOverlap(t, harness.ReadAttemptLog(t, alog), nil)
	lost := 0
	for _, l := range rec.Lost {
		lost += len(l)
	}
	t.Logf("leader %s killed; %d attempts lost meanwhile", old.Name, lost)
}

// TestLeaderStoppedMidBuild: SIGSTOP the leader (its connections stay open
// but nothing answers). Workers stop getting heartbeat answers, find the
// new leader, and the build succeeds; the client's event stream notices
// through keepalive and resumes elsewhere.
func TestLeaderStoppedMidBuild(t *testing.T) {
	tc := harness.NewCluster(t, 3, 3, 6, "--worker-ttl", "4s", "--worker-grace", "2s")
	dir := t.TempDir()
	alog := filepath.Join(dir, "attempts.log")
	const n = 200
	spec := harness.FanBuild("stop-leader", dir, alog, n, "0.2")
	old := tc.Leader()
	var once sync.Once
	var mu sync.Mutex
	finished := 0
	wait := harness.FollowBuild(t, tc, spec.ID, func(e *pb.Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.Kind == pb.Event_STEP_FINISHED {
			finished++
		}
		if finished >= 40 {
			once.Do(func() { old.Signal(t, syscall.SIGSTOP) })
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := tc.Cl.Submit(ctx, spec); err != nil {
		t.Fatal(err)
	}
	rec := wait()
	harness.CheckBuild(t, rec, dir, n)
	harness.CheckNoOverlap(t, harness.ReadAttemptLog(t, alog), nil)
	_ = old.Cmd.Process.Signal(syscall.SIGCONT)
}
