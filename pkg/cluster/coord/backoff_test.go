package coord_test

import (
	"context"
	"testing"
	"time"

	"github.com/dmake/dmake/pkg/cluster"
	"github.com/dmake/dmake/pkg/cluster/client"
	"github.com/dmake/dmake/pkg/cluster/coord"
	pb "github.com/dmake/dmake/pkg/cluster/proto"
	"github.com/dmake/dmake/pkg/cluster/worker"
)

// TestLossBackoffAndAnotherWorker: a worker restarts (registers a new
// session) while running a step: the step is lost once, waits out the loss
// backoff, and then runs on the other worker, although the restarted one
// is free too.
func TestLossBackoffAndAnotherWorker(t *testing.T) {
	const backoff = 1500 * time.Millisecond
	nodes := startNodes(t, 1, func(c *coord.Config) { c.LossBackoff = []time.Duration{backoff} })
	waitFor(t, "a leader", 30*time.Second, func() bool { return leaderOf(nodes) != nil })
	cl := client.New(addrs(nodes))
	defer cl.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	run := func(name string) (stop func()) {
		a, err := worker.New(worker.Config{Name: name, Slots: 1, Coordinators: addrs(nodes), Runner: cluster.ShellRunner{}, Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		wctx, wcancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { _ = a.Run(wctx); close(done) }()
		t.Cleanup(func() { wcancel(); <-done })
		return func() { wcancel(); <-done }
	}
	stopW1 := run("w1")
	spec := cluster.BuildSpec{ID: "bo", Dir: t.TempDir(), Steps: []cluster.StepSpec{
		{Target: "t", Payload: []byte(`if [ "$DMAKE_ATTEMPT" = 1 ]; then sleep 30; fi`)},
	}}
	if err := cl.Submit(ctx, spec); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the step on w1", 20*time.Second, func() bool { return runningOn(t, cl, "w1") == 1 })
	run("w2")
	waitFor(t, "w2", 20*time.Second, func() bool {
		ws, _ := cl.Workers(ctx)
		return len(ws) == 2
	})
	stopW1()
	run("w1") // the same worker again: a new session ends the old one

	var lostAt, rerunAt int64
	rerunOn := ""
	if _, err := cl.Events(ctx, "bo", 1, func(e *pb.Event) error {
		switch {
		case e.Kind == pb.Event_STEP_LOST:
			lostAt = e.TimeUnixMs
		case e.Kind == pb.Event_STEP_STARTED && e.Attempt == 2:
			rerunAt, rerunOn = e.TimeUnixMs, e.Worker
		case e.Kind == pb.Event_BUILD_FINISHED && e.Status != "succeeded":
			t.Errorf("build %s", e.Status)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if lostAt == 0 || rerunAt-lostAt < backoff.Milliseconds() {
		t.Fatalf("lost at %d, rerun at %d: want at least %v between", lostAt, rerunAt, backoff)
	}
	if rerunOn != "w2" {
		t.Fatalf("rerun on %s, want w2 (w1 lost it)", rerunOn)
	}
}
