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

// TestLabelsAndRetention: a build that asks for a label runs only on
// workers that have it; a finished build is forgotten after the retention.
func TestLabelsAndRetention(t *testing.T) {
	nodes := startNodes(t, 1, func(c *coord.Config) { c.BuildRetention = 300 * time.Millisecond })
	waitFor(t, "a leader", 30*time.Second, func() bool { return leaderOf(nodes) != nil })
	ctx, cancel := context.WithCancel(context.Background())
	var dones []chan struct{}
	for name, labels := range map[string][]string{"gpu": {"gpu", "linux"}, "plain": {"linux"}} {
		a, err := worker.New(worker.Config{Name: name, Slots: 2, Labels: labels, Coordinators: addrs(nodes),
			Runner: cluster.ShellRunner{}, Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		dones = append(dones, done)
		go func() { _ = a.Run(ctx); close(done) }()
	}
	defer func() {
		cancel()
		for _, d := range dones {
			<-d
		}
	}()
	cl := client.New(addrs(nodes))
	defer cl.Close()
	waitFor(t, "two workers", 20*time.Second, func() bool {
		ws, _ := cl.Workers(ctx)
		return len(ws) == 2
	})
	spec := sleepBuild("l", t.TempDir(), 8, "0.1")
	spec.Options.Labels = []string{"gpu"}
	if err := cl.Submit(ctx, spec); err != nil {
		t.Fatal(err)
	}
	status := ""
	if _, err := cl.Events(ctx, "l", 1, func(e *pb.Event) error {
		if e.Kind == pb.Event_STEP_STARTED && e.Worker != "gpu" {
			t.Errorf("step %d ran on %s", e.Step, e.Worker)
		}
		if e.Kind == pb.Event_BUILD_FINISHED {
			status = e.Status
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if status != "succeeded" {
		t.Fatalf("status %s", status)
	}
	waitFor(t, "the build to be forgotten", 10*time.Second, func() bool {
		bs, err := cl.Builds(ctx)
		return err == nil && len(bs) == 0
	})
}

// TestJobsCap: a build never has more than its -j steps running, whatever
// the free slots; the count is exact because events are in log order.
func TestJobsCap(t *testing.T) {
	nodes := startNodes(t, 1)
	waitFor(t, "a leader", 30*time.Second, func() bool { return leaderOf(nodes) != nil })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	startWorker(t, ctx, "w1", addrs(nodes))
	startWorker(t, ctx, "w2", addrs(nodes))
	cl := client.New(addrs(nodes))
	defer cl.Close()
	spec := sleepBuild("j", t.TempDir(), 12, "0.2")
	spec.Options.Jobs = 3
	if err := cl.Submit(ctx, spec); err != nil {
		t.Fatal(err)
	}
	running, most := 0, 0
	if _, err := cl.Events(ctx, "j", 1, func(e *pb.Event) error {
		switch e.Kind {
		case pb.Event_STEP_STARTED:
			running++
			most = max(most, running)
		case pb.Event_STEP_FINISHED, pb.Event_STEP_LOST:
			running--
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if most != 3 {
		t.Fatalf("at most %d steps ran at once, want exactly the -j of 3", most)
	}
}
