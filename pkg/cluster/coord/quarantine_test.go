package coord_test

import (
	"context"
	"testing"
	"time"

	"github.com/dmake/dmake/pkg/cluster"
	"github.com/dmake/dmake/pkg/cluster/client"
	"github.com/dmake/dmake/pkg/cluster/coord"
	"github.com/dmake/dmake/pkg/cluster/worker"
)

// TestQuarantine: a worker that restarts twice while running steps
// (QuarantineLosses 2) is drained by the leader; the build finishes on
// another worker.
func TestQuarantine(t *testing.T) {
	nodes := startNodes(t, 1, func(c *coord.Config) { c.QuarantineLosses, c.QuarantineEvery = 2, time.Millisecond })
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
	status := func(name string) string {
		ws, _ := cl.Workers(ctx)
		for _, w := range ws {
			if w.Name == name {
				return w.Status
			}
		}
		return ""
	}
	stop := run("flaky")
	spec := cluster.BuildSpec{ID: "q", Dir: t.TempDir(), Options: cluster.Options{MaxLosses: 10}, Steps: []cluster.StepSpec{
		{Target: "t", Payload: []byte(`if [ "$DMAKE_ATTEMPT" -lt 3 ]; then sleep 30; fi`)},
	}}
	if err := cl.Submit(ctx, spec); err != nil {
		t.Fatal(err)
	}
	var session uint64
	for round := 1; round <= 2; round++ {
		// Wait for the step to run in flaky's current (new) session.
		waitFor(t, "the step on flaky", 20*time.Second, func() bool {
			ws, _ := cl.Workers(ctx)
			for _, w := range ws {
				if w.Name == "flaky" && w.Session != session && w.Running == 1 {
					session = w.Session
					return true
				}
			}
			return false
		})
		stop()
		stop = run("flaky") // restarts: its old session's step is lost
	}
	waitFor(t, "flaky to be quarantined", 20*time.Second, func() bool { return status("flaky") == "draining" })
	run("steady")
	if st, _ := follow(t, cl, "q"); st != "succeeded" {
		t.Fatalf("build %s", st)
	}
}
