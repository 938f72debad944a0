package coord_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/dmake/dmake/pkg/cluster"
	"github.com/dmake/dmake/pkg/cluster/client"
	"github.com/dmake/dmake/pkg/cluster/coord"
	"github.com/dmake/dmake/pkg/cluster/fsm"
	pb "github.com/dmake/dmake/pkg/cluster/proto"
	"github.com/dmake/dmake/pkg/cluster/worker"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func quietLogger() *slog.Logger {
	if os.Getenv("DMAKE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

type node struct {
	cfg coord.Config
	c   *coord.Coordinator
}

func defaultTestConfig(id, dir, rpc, raftAddr string, expect int) coord.Config {
	return coord.Config{
		NodeID: id, DataDir: filepath.Join(dir, "data"), RPCAddr: rpc, RaftAddr: raftAddr, BootstrapExpect: expect,
		HeartbeatInterval: 300 * time.Millisecond, WorkerTTL: 2 * time.Second, WorkerGrace: time.Second,
		FailoverGrace: 3 * time.Second, RaftHeartbeat: 500 * time.Millisecond, LossBackoff: []time.Duration{0},
		Logger: quietLogger(),
	}
}

var startCoord = coord.Start

func freeAddrB(b *testing.B) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startNodes(t *testing.T, n int, tune ...func(*coord.Config)) []*node {
	t.Helper()
	var rpcs []string
	nodes := make([]*node, n)
	for i := range nodes {
		nodes[i] = &node{cfg: defaultTestConfig(fmt.Sprintf("c%d", i+1), t.TempDir(), freeAddr(t), freeAddr(t), n)}
		for _, f := range tune {
			f(&nodes[i].cfg)
		}
		rpcs = append(rpcs, nodes[i].cfg.RPCAddr)
	}
	for _, nd := range nodes {
		nd.cfg.Join = rpcs
		c, err := coord.Start(nd.cfg)
		if err != nil {
			t.Fatal(err)
		}
		nd.c = c
		t.Cleanup(func() { _ = nd.c.Shutdown() })
	}
	return nodes
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func leaderOf(nodes []*node) *node {
	for _, nd := range nodes {
		if nd.c != nil && nd.c.IsLeader() {
			return nd
		}
	}
	return nil
}

func addrs(nodes []*node) []string {
	var out []string
	for _, nd := range nodes {
		out = append(out, nd.cfg.RPCAddr)
	}
	return out
}

// chainBuild is n steps; step i (i>0) depends on i/2, and writes out/i.
func chainBuild(id, dir string, n int) cluster.BuildSpec {
	spec := cluster.BuildSpec{ID: id, Dir: dir, Options: cluster.Options{Jobs: 8}, Payload: []byte("db")}
	for i := range n {
		st := cluster.StepSpec{Target: fmt.Sprintf("t%d", i), Priority: int64(i),
			Payload: []byte(fmt.Sprintf("mkdir -p out && sleep 0.02 && echo step %d > out/%d && echo built %d", i, i, i))}
		if i > 0 {
			st.Deps = []int{i / 2}
		}
		spec.Steps = append(spec.Steps, st)
	}
	return spec
}

func follow(t *testing.T, cl *client.Client, build string) (status string, outputs int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err := cl.Events(ctx, build, 1, func(e *client.Event) error {
		switch e.Kind {
		case pb.Event_OUTPUT:
			outputs++
		case pb.Event_BUILD_FINISHED:
			status = e.Status
		}
		return nil
	})
	if err != nil {
		t.Fatalf("events of %s: %v", build, err)
	}
	return status, outputs
}

func startWorker(t *testing.T, ctx context.Context, name string, coords []string) {
	t.Helper()
	a, err := worker.New(worker.Config{Name: name, Slots: 4, Coordinators: coords, Runner: cluster.ShellRunner{}, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = a.Run(ctx); close(done) }()
	t.Cleanup(func() { <-done })
}

// TestThreeNodeCluster runs builds on an in-process cluster of three
// coordinators (real bolt stores, loopback TCP) and two workers, stops the
// leader, and runs another build under the new leader.
func TestThreeNodeCluster(t *testing.T) {
	nodes := startNodes(t, 3)
	waitFor(t, "a leader", 30*time.Second, func() bool { return leaderOf(nodes) != nil })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	startWorker(t, ctx, "w1", addrs(nodes))
	startWorker(t, ctx, "w2", addrs(nodes))
	cl := client.New(addrs(nodes))
	defer cl.Close()

	dir := t.TempDir()
	spec := chainBuild("b1", dir, 40)
	sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
	defer scancel()
	if err := cl.Submit(sctx, spec); err != nil {
		t.Fatal(err)
	}
	if err := cl.Submit(sctx, spec); err != nil { // idempotent
		t.Fatalf("resubmit: %v", err)
	}
	st, outs := follow(t, cl, "b1")
	if st != "succeeded" || outs != 40 {
		t.Fatalf("b1 %s with %d outputs", st, outs)
	}
	for i := range 40 {
		if _, err := os.Stat(filepath.Join(dir, "out", fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	bs, err := cl.Builds(sctx)
	if err != nil || len(bs) != 1 || bs[0].Done != 40 {
		t.Fatalf("builds %v %v", bs, err)
	}

	// Every replica has the same events.
	waitFor(t, "replicas to catch up", 10*time.Second, func() bool {
		var n []int
		for _, nd := range nodes {
			nd.c.FSM().Read(func(s *fsm.State) { n = append(n, len(s.Builds["b1"].Events)) })
		}
		return n[0] == n[1] && n[1] == n[2]
	})

	old := leaderOf(nodes)
	if err := old.c.Shutdown(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a new leader", 30*time.Second, func() bool {
		l := leaderOf(nodes)
		return l != nil && l != old
	})
	spec2 := chainBuild("b2", t.TempDir(), 20)
	if err := cl.Submit(sctx, spec2); err != nil {
		t.Fatal(err)
	}
	if st, _ := follow(t, cl, "b2"); st != "succeeded" {
		t.Fatalf("b2 %s", st)
	}
}

// TestFollowerCatchesUpFromSnapshot: with a tiny snapshot threshold, a
// follower that was down while builds ran comes back from its data dir, is
// sent a snapshot (the log it missed is compacted away), and ends up with
// the same builds and events as the leader.
func TestFollowerCatchesUpFromSnapshot(t *testing.T) {
	nodes := startNodes(t, 3, func(c *coord.Config) {
		c.SnapshotThreshold, c.TrailingLogs, c.SnapshotInterval = 16, 8, 100*time.Millisecond
	})
	waitFor(t, "a leader", 30*time.Second, func() bool { return leaderOf(nodes) != nil })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	startWorker(t, ctx, "w1", addrs(nodes))
	cl := client.New(addrs(nodes))
	defer cl.Close()

	var down *node
	for _, nd := range nodes {
		if !nd.c.IsLeader() {
			down = nd
			break
		}
	}
	downAt := down.c.Raft().LastIndex()
	if err := down.c.Shutdown(); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"s1", "s2", "s3"} {
		if err := cl.Submit(ctx, chainBuild(id, t.TempDir(), 30)); err != nil {
			t.Fatal(err)
		}
		if st, _ := follow(t, cl, id); st != "succeeded" {
			t.Fatalf("%s %s", id, st)
		}
	}
	// The leader's log no longer holds what the follower misses, so only a
	// snapshot can bring it up to date.
	waitFor(t, "the leader to compact its log", 20*time.Second, func() bool {
		idx, _ := strconv.ParseUint(leaderOf(nodes).c.Raft().Stats()["last_snapshot_index"], 10, 64)
		return idx > downAt+8+1
	})
	c, err := coord.Start(down.cfg)
	if err != nil {
		t.Fatal(err)
	}
	down.c = c
	t.Cleanup(func() { _ = c.Shutdown() })
	leader := leaderOf(nodes)
	var want uint64
	leader.c.FSM().Read(func(st *fsm.State) { want = st.Applied })
	waitFor(t, "the follower to catch up", 30*time.Second, func() bool {
		var got uint64
		c.FSM().Read(func(st *fsm.State) { got = st.Applied })
		return got >= want
	})
	events := func(co *coord.Coordinator) map[string][]fsm.Event {
		out := map[string][]fsm.Event{}
		co.FSM().Read(func(st *fsm.State) {
			for id, b := range st.Builds {
				out[id] = append([]fsm.Event(nil), b.Events...)
			}
		})
		return out
	}
	waitFor(t, "equal events", 10*time.Second, func() bool {
		return reflect.DeepEqual(events(leader.c), events(c))
	})
	snaps, _ := filepath.Glob(filepath.Join(down.cfg.DataDir, "raft", "snapshots", "*"))
	if len(snaps) == 0 {
		t.Fatal("no snapshot on the restarted follower")
	}
}
