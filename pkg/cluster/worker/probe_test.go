package worker_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dmake/dmake/pkg/cluster"
	"github.com/dmake/dmake/pkg/cluster/client"
	"github.com/dmake/dmake/pkg/cluster/coord"
	pb "github.com/dmake/dmake/pkg/cluster/proto"
	"github.com/dmake/dmake/pkg/cluster/worker"
)

func TestCheckProbe(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".probe"), []byte("token"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dir, probe, content string
		ok                  bool
	}{
		{dir, ".probe", "token", true},
		{dir, ".probe", "other", false},
		{dir, ".missing", "token", false},
		{dir, "", "", true},
		{filepath.Join(dir, "nope"), "", "", false},
	} {
		if why := worker.CheckProbe(tc.dir, tc.probe, []byte(tc.content)); (why == "") != tc.ok {
			t.Errorf("CheckProbe(%s, %s, %s) = %q", tc.dir, tc.probe, tc.content, why)
		}
	}
}

// TestWorkerThatCannotSeeTheTreeIsSkipped: a worker that does not see a
// build's files gives its steps back (not a loss), gets no more of them,
// and `workers` says why.
func TestWorkerThatCannotSeeTheTreeIsSkipped(t *testing.T) {
	co, err := coord.Start(coord.Config{NodeID: "c1", DataDir: t.TempDir(), RPCAddr: freeAddr(t), RaftAddr: freeAddr(t),
		BootstrapExpect: 1, RaftHeartbeat: 300 * time.Millisecond, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer co.Shutdown()
	waitFor(t, "leadership", 20*time.Second, co.IsLeader)
	ctx, cancel := context.WithCancel(context.Background())
	var done []chan struct{}
	for _, name := range []string{"blind", "sees"} {
		cfg := worker.Config{Name: name, Slots: 4, Coordinators: []string{co.Addr()}, Runner: cluster.ShellRunner{}, Logger: quiet()}
		if name == "blind" {
			cfg.Sees = func(string, string, []byte) string { return "test: pretends not to see it" }
		}
		ag, err := worker.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ch := make(chan struct{})
		done = append(done, ch)
		go func() { _ = ag.Run(ctx); close(ch) }()
	}
	defer func() {
		cancel()
		for _, ch := range done {
			<-ch
		}
	}()
	cl := client.New([]string{co.Addr()})
	defer cl.Close()
	waitFor(t, "two workers", 20*time.Second, func() bool {
		ws, _ := cl.Workers(ctx)
		return len(ws) == 2
	})
	dir := t.TempDir()
	spec := cluster.BuildSpec{ID: "p", Dir: dir, Probe: cluster.Probe{Path: ".probe", Content: []byte("x")}}
	if err := os.WriteFile(filepath.Join(dir, ".probe"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 12 {
		spec.Steps = append(spec.Steps, cluster.StepSpec{Target: "t", Payload: []byte("sleep 0.1")})
	}
	if err := cl.Submit(ctx, spec); err != nil {
		t.Fatal(err)
	}
	status := ""
	if _, err := cl.Events(ctx, "p", 1, func(e *pb.Event) error {
		switch {
		case e.Kind == pb.Event_STEP_FINISHED && e.Worker != "sees":
			t.Errorf("step %d finished on %s", e.Step, e.Worker)
		case e.Kind == pb.Event_BUILD_FINISHED:
			status = e.Status
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if status != "succeeded" {
		t.Fatalf("build %s", status)
	}
	ws, err := cl.Workers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if w.Name == "blind" && (len(w.Refused) != 1 || !strings.Contains(w.Refused[0], "pretends")) {
			t.Errorf("blind worker shows %v", w.Refused)
		}
	}
}
