package proctest

import (
	"context"
	"fmt"
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
	tc := newCluster(t, 3, 3, 6, "--worker-ttl", "4s", "--worker-grace", "2s")
	dir := t.TempDir()
	alog := filepath.Join(dir, "attempts.log")
	const n = 220
	spec := fanBuild("kill-leader", dir, alog, n, "0.3")

	old := tc.leader()
	var once sync.Once
	var mu sync.Mutex
	finished := 0
	wait := followBuild(t, tc, spec.ID, func(e *pb.Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.Kind == pb.Event_STEP_FINISHED {
			finished++
		}
		if finished >= 40 {
			once.Do(func() { old.signal(t, syscall.SIGKILL) })
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := tc.cl.Submit(ctx, spec); err != nil {
		t.Fatal(err)
	}
	rec := wait()
	checkBuild(t, rec, dir, n)
	if now := tc.leader(); now == old {
		t.Fatalf("leader still %s", old.name)
	}
	for step := range int32(n) {
		acc := rec.finished[step][0].Attempt
		var got string
		for _, e := range rec.outputs[step] {
			if e.Attempt == acc {
				got += string(e.Data)
			}
		}
		if want := fmt.Sprintf("built %d\n", step); got != want {
			t.Errorf("step %d: output %q, want %q", step, got, want)
		}
	}
	checkNoOverlap(t, readAttemptLog(t, alog), nil)
	lost := 0
	for _, l := range rec.lost {
		lost += len(l)
	}
	t.Logf("leader %s killed; %d attempts lost meanwhile", old.name, lost)
}

// TestLeaderStoppedMidBuild: SIGSTOP the leader (its connections stay open
// but nothing answers). Workers stop getting heartbeat answers, find the
// new leader, and the build succeeds; the client's event stream notices
// through keepalive and resumes elsewhere.
func TestLeaderStoppedMidBuild(t *testing.T) {
	tc := newCluster(t, 3, 3, 6, "--worker-ttl", "4s", "--worker-grace", "2s")
	dir := t.TempDir()
	alog := filepath.Join(dir, "attempts.log")
	const n = 200
	spec := fanBuild("stop-leader", dir, alog, n, "0.2")
	old := tc.leader()
	var once sync.Once
	var mu sync.Mutex
	finished := 0
	wait := followBuild(t, tc, spec.ID, func(e *pb.Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.Kind == pb.Event_STEP_FINISHED {
			finished++
		}
		if finished >= 40 {
			once.Do(func() { old.signal(t, syscall.SIGSTOP) })
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := tc.cl.Submit(ctx, spec); err != nil {
		t.Fatal(err)
	}
	rec := wait()
	checkBuild(t, rec, dir, n)
	checkNoOverlap(t, readAttemptLog(t, alog), nil)
	_ = old.cmd.Process.Signal(syscall.SIGCONT)
}
