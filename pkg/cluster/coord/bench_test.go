package coord_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/dmake/dmake/pkg/cluster"
	"github.com/dmake/dmake/pkg/cluster/client"
	"github.com/dmake/dmake/pkg/cluster/worker"
)

// benchOnlyInstantRunner is a benchmark-only StepRunner: it completes every
// step at once without starting a process, so a benchmark measures the
// coordinators, not recipes.
type benchOnlyInstantRunner struct{}

func (benchOnlyInstantRunner) Run(ctx context.Context, req cluster.StepRequest, out io.Writer) cluster.StepResult {
	return cluster.StepResult{Changed: true}
}

// BenchmarkCoordinatorCapacity: 3 coordinators and 4 workers in one process
// on loopback, a 10,000-step graph (100 roots, every other step depending on
// one of them) run by benchOnlyInstantRunner; reports steps/s.
func BenchmarkCoordinatorCapacity(b *testing.B) {
	nodes := startNodesB(b, 3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range 4 {
		a, err := worker.New(worker.Config{Name: fmt.Sprintf("bw%d", i), Slots: 64, Coordinators: addrs(nodes),
			Runner: benchOnlyInstantRunner{}, Logger: quietLogger()})
		if err != nil {
			b.Fatal(err)
		}
		go func() { _ = a.Run(ctx) }()
	}
	cl := client.New(addrs(nodes))
	defer cl.Close()
	const n = 10000
	b.ResetTimer()
	for i := range b.N {
		spec := cluster.BuildSpec{ID: fmt.Sprintf("cap-%d", i), Dir: "/"}
		for s := range n {
			st := cluster.StepSpec{Target: fmt.Sprint(s), Priority: int64(s)}
			if s >= 100 {
				st.Deps = []int{s % 100}
			}
			spec.Steps = append(spec.Steps, st)
		}
		start := time.Now()
		if err := cl.Submit(ctx, spec); err != nil {
			b.Fatal(err)
		}
		var status string
		if _, err := cl.Events(ctx, spec.ID, 1, func(e *client.Event) error {
			if e.Status != "" && e.Step < 0 {
				status = e.Status
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if status != "succeeded" {
			b.Fatalf("build %s", status)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "steps/s")
	}
}

func startNodesB(b *testing.B, n int) []*node {
	var rpcs []string
	nodes := make([]*node, n)
	for i := range nodes {
		nodes[i] = &node{cfg: defaultTestConfig(fmt.Sprintf("c%d", i+1), b.TempDir(), freeAddrB(b), freeAddrB(b), n)}
		rpcs = append(rpcs, nodes[i].cfg.RPCAddr)
	}
	for _, nd := range nodes {
		nd.cfg.Join = rpcs
		c, err := startCoord(nd.cfg)
		if err != nil {
			b.Fatal(err)
		}
		nd.c = c
		b.Cleanup(func() { _ = nd.c.Shutdown() })
	}
	deadline := time.Now().Add(30 * time.Second)
	for leaderOf(nodes) == nil {
		if time.Now().After(deadline) {
			b.Fatal("no leader")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nodes
}
