package coord_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dmake/dmake/pkg/cluster/client"
)

// TestOperatorRaftCommands: list peers, transfer leadership to a named
// coordinator, remove a coordinator, and add it back.
func TestOperatorRaftCommands(t *testing.T) {
	nodes := startNodes(t, 3)
	waitFor(t, "a leader", 30*time.Second, func() bool { return leaderOf(nodes) != nil })
	cl := client.New(addrs(nodes))
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var peers []*client.ServerInfo
	waitFor(t, "every address recorded", 20*time.Second, func() bool {
		var err error
		peers, err = cl.RaftPeers(ctx)
		if err != nil || len(peers) != 3 {
			return false
		}
		for _, p := range peers {
			if p.RpcAddr == "" || !p.Voter {
				return false
			}
		}
		return true
	})

	old := leaderOf(nodes)
	var target *node
	for _, nd := range nodes {
		if nd != old {
			target = nd
			break
		}
	}
	if err := cl.TransferLeader(ctx, target.cfg.NodeID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "leadership to move", 20*time.Second, func() bool { return leaderOf(nodes) == target })

	// Remove a follower, then add it back (it restarts from its data dir).
	var gone *node
	for _, nd := range nodes {
		if nd != target {
			gone = nd
			break
		}
	}
	if err := cl.RemovePeer(ctx, gone.cfg.NodeID); err != nil {
		t.Fatal(err)
	}
	if err := gone.c.Shutdown(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two peers", 20*time.Second, func() bool {
		ps, err := cl.RaftPeers(ctx)
		return err == nil && len(ps) == 2
	})
	c, err := startCoord(gone.cfg)
	if err != nil {
		t.Fatal(err)
	}
	gone.c = c
	t.Cleanup(func() { _ = c.Shutdown() })
	if err := cl.AddPeer(ctx, gone.cfg.NodeID, gone.cfg.RaftAddr, gone.cfg.RPCAddr, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "three peers again", 20*time.Second, func() bool {
		ps, err := cl.RaftPeers(ctx)
		return err == nil && len(ps) == 3
	})
	waitFor(t, "the re-added node to follow", 20*time.Second, func() bool {
		return c.Raft().AppliedIndex() >= target.c.Raft().AppliedIndex()
	})

	// A fourth coordinator joins through any member, as a non-voter.
	cfg := defaultTestConfig("c4", t.TempDir(), freeAddr(t), freeAddr(t), 0)
	cfg.Join, cfg.Nonvoter = []string{gone.cfg.RPCAddr}, true
	c4, err := startCoord(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c4.Shutdown() })
	waitFor(t, "c4 to join as a non-voter", 30*time.Second, func() bool {
		ps, err := cl.RaftPeers(ctx)
		if err != nil || len(ps) != 4 {
			return false
		}
		for _, p := range ps {
			if p.Id == "c4" {
				return !p.Voter && p.RpcAddr == cfg.RPCAddr
			}
		}
		return false
	})
}

// TestRecoverFromPeersJSON: all three coordinators stop; only one comes
// back, with a peers.json naming itself alone. It leads with its state (the
// finished build) intact, and runs new builds.
func TestRecoverFromPeersJSON(t *testing.T) {
	nodes := startNodes(t, 3)
	waitFor(t, "a leader", 30*time.Second, func() bool { return leaderOf(nodes) != nil })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	startWorker(t, ctx, "w1", addrs(nodes))
	cl := client.New(addrs(nodes))
	defer cl.Close()
	if err := cl.Submit(ctx, chainBuild("before", t.TempDir(), 10)); err != nil {
		t.Fatal(err)
	}
	if st, _ := follow(t, cl, "before"); st != "succeeded" {
		t.Fatalf("before: %s", st)
	}
	survivor := nodes[0]
	var applied uint64
	waitFor(t, "the survivor to apply everything", 10*time.Second, func() bool {
		applied = leaderOf(nodes).c.Raft().AppliedIndex()
		return survivor.c.Raft().AppliedIndex() >= applied
	})
	for _, nd := range nodes {
		if err := nd.c.Shutdown(); err != nil {
			t.Fatal(err)
		}
	}
	peers := fmt.Sprintf(`[{"id": %q, "address": %q, "non_voter": false}]`, survivor.cfg.NodeID, survivor.cfg.RaftAddr)
	if err := os.WriteFile(filepath.Join(survivor.cfg.DataDir, "raft", "peers.json"), []byte(peers), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := startCoord(survivor.cfg)
	if err != nil {
		t.Fatal(err)
	}
	survivor.c = c
	t.Cleanup(func() { _ = c.Shutdown() })
	waitFor(t, "the survivor to lead", 30*time.Second, c.IsLeader)
	if _, err := os.Stat(filepath.Join(survivor.cfg.DataDir, "raft", "peers.json.recovered")); err != nil {
		t.Fatal("peers.json not renamed after recovery")
	}
	one := client.New([]string{survivor.cfg.RPCAddr})
	defer one.Close()
	bs, err := one.Builds(ctx)
	if err != nil || len(bs) != 1 || bs[0].Id != "before" || bs[0].Status != "succeeded" {
		t.Fatalf("builds after recovery: %v %v", bs, err)
	}
	startWorker(t, ctx, "w2", []string{survivor.cfg.RPCAddr})
	if err := one.Submit(ctx, chainBuild("after", t.TempDir(), 10)); err != nil {
		t.Fatal(err)
	}
	if st, _ := follow(t, one, "after"); st != "succeeded" {
		t.Fatalf("after: %s", st)
	}
}
