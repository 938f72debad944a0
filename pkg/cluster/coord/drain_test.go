package coord_test

import (
	"context"
	"testing"
	"time"

	"github.com/dmake/dmake/pkg/cluster"
	"github.com/dmake/dmake/pkg/cluster/client"
	"github.com/dmake/dmake/pkg/cluster/fsm"
	"github.com/dmake/dmake/pkg/graph/buildstate"
)

func sleepBuild(id, dir string, n int, secs string) cluster.BuildSpec {
	spec := cluster.BuildSpec{ID: id, Dir: dir}
	for range n {
		spec.Steps = append(spec.Steps, cluster.StepSpec{Target: "s", Payload: []byte("sleep " + secs)})
	}
	return spec
}

func runningOn(t *testing.T, cl *client.Client, name string) int32 {
	ws, err := cl.Workers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if w.Name == name {
			return w.Running
		}
	}
	return 0
}

// TestDrain: a drained worker gets no new steps and finishes the ones it
// runs; with a deadline, what still runs there at the deadline is requeued
// elsewhere, and that is not counted as a loss.
func TestDrain(t *testing.T) {
	nodes := startNodes(t, 1)
	waitFor(t, "a leader", 30*time.Second, func() bool { return leaderOf(nodes) != nil })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	startWorker(t, ctx, "w1", addrs(nodes))
	startWorker(t, ctx, "w2", addrs(nodes))
	cl := client.New(addrs(nodes))
	defer cl.Close()
	co := nodes[0].c
	events := func(id string) (evs []fsm.Event) {
		co.FSM().Read(func(st *fsm.State) { evs = append(evs, st.Builds[id].Events...) })
		return evs
	}

	// Without a deadline.
	if err := cl.Submit(ctx, sleepBuild("d1", t.TempDir(), 12, "0.5")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "w1 to run steps", 20*time.Second, func() bool { return runningOn(t, cl, "w1") > 0 })
	if err := cl.Drain(ctx, "w1", 0); err != nil {
		t.Fatal(err)
	}
	mark := len(events("d1"))
	if st, _ := follow(t, cl, "d1"); st != "succeeded" {
		t.Fatalf("d1 %s", st)
	}
	for _, e := range events("d1")[mark:] {
		if e.Kind == fsm.EvStepStarted && e.Worker != "w2" {
			t.Errorf("step %d started on %s after the drain", e.Step, e.Worker)
		}
		if e.Kind == fsm.EvStepLost {
			t.Errorf("step %d lost without a deadline", e.Step)
		}
	}

	// With a deadline.
	if err := cl.Undrain(ctx, "w1"); err != nil {
		t.Fatal(err)
	}
	if err := cl.Submit(ctx, sleepBuild("d2", t.TempDir(), 4, "3")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "w1 to run steps", 20*time.Second, func() bool { return runningOn(t, cl, "w1") > 0 })
	if err := cl.Drain(ctx, "w1", 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if st, _ := follow(t, cl, "d2"); st != "succeeded" {
		t.Fatalf("d2 %s", st)
	}
	requeued := 0
	for _, e := range events("d2") {
		if e.Kind == fsm.EvStepLost {
			requeued++
			if e.Worker != "w1" {
				t.Errorf("step %d requeued from %s", e.Step, e.Worker)
			}
		}
		if e.Kind == fsm.EvStepFinished && e.Worker != "w2" {
			t.Errorf("step %d finished on %s after its drain deadline", e.Step, e.Worker)
		}
	}
	if requeued == 0 {
		t.Fatal("nothing was requeued at the deadline")
	}
	co.FSM().Read(func(st *fsm.State) {
		b := st.Builds["d2"]
		for i := range b.State.Len() {
			if l := b.State.Losses(buildstate.StepID(i)); l != 0 {
				t.Errorf("step %d counts %d losses after a drain", i, l)
			}
		}
	})
}
